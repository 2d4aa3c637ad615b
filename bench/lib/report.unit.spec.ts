import { resultsFile } from './report';

const full = '# Snapferry benchmark (full, t0, 500 s)\n\n- CPU: 2\n\n| full table |\n';

describe('resultsFile (bench/results/latest.md)', () => {
  it('a full run writes the whole file', () => {
    expect(resultsFile(full, { only: undefined, heading: 'B (full, t1)', body: 'rows' })).toBe(
      '# B (full, t1)\n\nrows\n',
    );
  });

  it('a run of some scenarios adds its section and keeps the full table', () => {
    const once = resultsFile(full, {
      only: ['policy'],
      heading: 'B (--only=policy, t1)',
      body: 'p1',
    });
    expect(once).toBe(`${full}\n## only=policy (B (--only=policy, t1))\n\np1\n`);
    const other = resultsFile(once, { only: ['object-store'], heading: 'B (t2)', body: 'o1' });
    // the same scenarios again: their section is replaced, the others stay in place
    const again = resultsFile(other, { only: ['policy'], heading: 'B (t3)', body: 'p2' });
    expect(again).toBe(
      `${full}\n## only=object-store (B (t2))\n\no1\n\n## only=policy (B (t3))\n\np2\n`,
    );
  });

  it('a section of other scenarios whose names start alike is not replaced', () => {
    const both = resultsFile(full, { only: ['copy', 'policy'], heading: 'x', body: 'cp' });
    const one = resultsFile(both, { only: ['copy'], heading: 'y', body: 'c' });
    expect(one).toContain('## only=copy,policy (x)');
    expect(one).toContain('## only=copy (y)');
  });
});
