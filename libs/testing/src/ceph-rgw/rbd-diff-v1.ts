/**
 * An rbd diff v1 of our own making, for `rbd import-diff` (which writes it through librbd, then
 * takes snapshot `to`): `w` records carry their bytes, `z` ones zero a range.
 */
export function rbdDiffV1(
  to: string,
  size: number,
  records: ({ w: number; bytes: Buffer } | { z: number; length: number })[],
) {
  const parts: Buffer[] = [Buffer.from('rbd diff v1\n', 'latin1')];
  const name = Buffer.from(to);
  const t = Buffer.alloc(5);
  t.write('t');
  t.writeUInt32LE(name.length, 1);
  parts.push(t, name);
  const s = Buffer.alloc(9);
  s.write('s');
  s.writeBigUInt64LE(BigInt(size), 1);
  parts.push(s);
  for (const r of records) {
    const head = Buffer.alloc(17);
    head.write('w' in r ? 'w' : 'z');
    head.writeBigUInt64LE(BigInt('w' in r ? r.w : r.z), 1);
    head.writeBigUInt64LE(BigInt('w' in r ? r.bytes.length : r.length), 9);
    parts.push(head, ...('w' in r ? [r.bytes] : []));
  }
  parts.push(Buffer.from('e'));
  return Buffer.concat(parts);
}
