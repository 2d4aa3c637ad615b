import { markReferenced, selectGarbage } from './collect-garbage';

const d = (c: string): string => c.repeat(64);
const chunk = (c: string, mtimeMs: number) => ({ digest: d(c), size: 1, mtimeMs });

describe('GC marking', () => {
  const referenced = markReferenced(
    [{ chunks: [{ digest: d('a') }, { digest: d('b') }] }, { chunks: [{ digest: d('b') }] }],
    [[d('c')]],
  );

  it('marks chunks of manifests and of pending writes', () => {
    expect([...referenced].sort()).toEqual([d('a'), d('b'), d('c')]);
  });

  it('selects only unreferenced chunks older than the cutoff', () => {
    const chunks = [
      chunk('a', 0),
      chunk('c', 0),
      chunk('d', 0),
      chunk('e', 1_000),
      chunk('f', 500),
    ];
    expect(selectGarbage(chunks, referenced, 500).map((c) => c.digest)).toEqual([d('d'), d('f')]);
  });

  it('never selects a referenced chunk, however old', () => {
    expect(selectGarbage([chunk('b', -1e12)], referenced, Date.now())).toEqual([]);
  });
});
