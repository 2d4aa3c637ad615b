import { randomBytes } from 'node:crypto';
import { applyPatch, decodePatch, encodePatch, mergeParts, partsLength } from './chunk-patch';

const base = 'ab'.repeat(32);

describe('chunk patches', () => {
  it('merges sorted part lists, joining parts that touch or overlap', () => {
    expect(
      mergeParts(
        [
          [0, 10],
          [50, 60],
        ],
        [
          [10, 20],
          [55, 70],
          [100, 101],
        ],
      ),
    ).toEqual([
      [0, 20],
      [50, 70],
      [100, 101],
    ]);
    expect(
      partsLength([
        [0, 20],
        [50, 70],
      ]),
    ).toBe(40);
  });

  it('encodes the changed parts of a chunk and lays them back over its base', () => {
    const old = randomBytes(4096);
    const chunk = Buffer.from(old);
    randomBytes(100).copy(chunk, 10);
    chunk.fill(0, 3000, 3500);
    const patch = {
      base,
      size: 4096,
      parts: [
        [10, 110],
        [3000, 3500],
      ] as [number, number][],
    };

    const file = encodePatch(patch, chunk);
    expect(file.length).toBeLessThan(600 + 160); // the parts and a one-line header
    const decoded = decodePatch(file);

    expect(decoded.patch).toEqual(patch);
    expect(applyPatch(Buffer.from(old), decoded.patch, decoded.bytes).equals(chunk)).toBe(true);
  });

  it.each([
    ['another file', Buffer.from('plain chunk bytes\n')],
    ['a cut header', Buffer.from('snapferry-patch 1 {"base":')],
    [
      'unsorted parts',
      Buffer.from(`snapferry-patch 1 {"base":"${base}","size":10,"parts":[[5,6],[0,1]]}\n..`),
    ],
    [
      'parts past the size',
      Buffer.from(`snapferry-patch 1 {"base":"${base}","size":10,"parts":[[5,11]]}\n......`),
    ],
    [
      'bytes missing',
      Buffer.from(`snapferry-patch 1 {"base":"${base}","size":10,"parts":[[0,4]]}\n...`),
    ],
    [
      'a base that is no digest',
      Buffer.from(`snapferry-patch 1 {"base":"../x","size":10,"parts":[[0,1]]}\n.`),
    ],
  ])('refuses %s', (_, file) => {
    expect(() => decodePatch(file)).toThrow();
  });
});
