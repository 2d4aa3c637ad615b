import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configTable, configTableEnd, configTableRows, configTableStart } from './config-docs';
import { serviceVariables } from './config-schema';

const readme = join(__dirname, '..', '..', '..', 'README.md');

/** The rows of the README's generated table, each cell trimmed. */
function readmeRows(text: string): string[][] {
  const start = text.indexOf(configTableStart);
  const end = text.indexOf(configTableEnd);
  if (start < 0 || end < start) throw new Error('README.md has no generated configuration table');
  return text
    .slice(start + configTableStart.length, end)
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .slice(2) // header and rule
    .map((line) =>
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim()),
    );
}

describe("the README's configuration table", () => {
  it('is the one config-schema.ts declares (`npm run docs:config` rewrites it)', () => {
    let text = readFileSync(readme, 'utf8');
    if (process.env['SNAPFERRY_UPDATE_DOCS'] === '1') {
      const start = text.indexOf(configTableStart) + configTableStart.length;
      const end = text.indexOf(configTableEnd);
      // Unaligned: the script runs Prettier on the README next.
      text = `${text.slice(0, start)}\n\n${configTable()}\n\n${text.slice(end)}`;
      writeFileSync(readme, text);
    }
    expect(readmeRows(text)).toEqual(configTableRows());
  });

  it('declares every variable once, with a default and a meaning', () => {
    const names = Object.values(serviceVariables).map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    for (const [key, v] of Object.entries(serviceVariables)) {
      expect(v.name).toBe(key);
      expect(v.defaultText).not.toBe('');
      expect(v.meaning).not.toBe('');
    }
  });
});
