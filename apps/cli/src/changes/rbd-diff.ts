import { ByteReader, EndOfStream, readLe64, type ChangeEvent } from '@snapferry/storage';
import { UsageError } from '../errors';

/** What an `rbd export-diff` stream says: changes, and the snapshots it goes from and to. */
export type RbdDiffEvent = ChangeEvent | { kind: 'from' | 'to'; snapshot: string };

const headers = { 'rbd diff v1\n': 1, 'rbd diff v2\n': 2 } as const;
const headerLength = 12;

const bad = (message: string): never => {
  throw new UsageError(`not a valid rbd export-diff stream: ${message}`);
};

/**
 * Reads Ceph's `rbd export-diff` format (v1 and v2, `--export-format 2`) as it streams, records
 * cut anywhere between pieces, in memory bounded by one piece: data bytes are handed on as they
 * arrive. v1: a tag, then the record ('f'/'t' le32 name length and name, 's' le64 size, 'w'
 * le64 offset le64 length and the bytes, 'z' le64 offset le64 length, 'e' end). v2: the same
 * records, each tag followed by its payload's le64 length (so unknown tags are skipped), and
 * 'p' (the to-snapshot's protection status), whose length says 8 but whose payload is 1 byte.
 */
export async function* parseRbdDiff(
  source: AsyncIterable<Uint8Array>,
): AsyncGenerator<RbdDiffEvent> {
  const reader = new ByteReader(source);
  const need = async (n: number, what: string): Promise<Buffer> =>
    (await reader.exact(n)) ?? bad(`it ends inside ${what} (at byte ${reader.position})`);
  const header = (await need(headerLength, 'the header')).toString('latin1');
  const version =
    headers[header as keyof typeof headers] ??
    bad(`it starts with ${JSON.stringify(header)}, not "rbd diff v1\\n" or "rbd diff v2\\n"`);
  for (;;) {
    const at = reader.position;
    const tag = String.fromCharCode((await need(1, 'a record tag'))[0]!);
    if (tag === 'e') {
      if (!(await reader.atEnd())) bad(`bytes follow the end record (at byte ${reader.position})`);
      yield { kind: 'end' };
      return;
    }
    // v2: every record but 'e' says its payload's length.
    const length =
      version === 2
        ? readLe64(await need(8, `the length of record '${tag}'`), 0, 'record length')
        : undefined;
    switch (tag) {
      case 'f':
      case 't': {
        const size = (await need(4, `record '${tag}'`)).readUInt32LE(0);
        const snapshot = (await need(size, `the snapshot name of record '${tag}'`)).toString(
          'utf8',
        );
        yield { kind: tag === 'f' ? 'from' : 'to', snapshot };
        break;
      }
      case 's':
        yield { kind: 'size', size: readLe64(await need(8, "record 's'"), 0, 'size') };
        break;
      case 'z':
      case 'w': {
        const head = await need(16, `record '${tag}'`);
        const offset = readLe64(head, 0, 'offset');
        const extent = readLe64(head, 8, 'length');
        if (length !== undefined && length !== 16 + (tag === 'w' ? extent : 0))
          bad(`record '${tag}' at byte ${at} says ${length} bytes follow, its extent ${extent}`);
        if (tag === 'z') {
          yield { kind: 'zero', offset, length: extent };
          break;
        }
        yield { kind: 'write', offset, length: extent };
        try {
          for await (const bytes of reader.pieces(extent)) yield { kind: 'bytes', bytes };
        } catch (error) {
          if (error instanceof EndOfStream) bad(`it ends inside the data at offset ${offset}`);
          throw error;
        }
        break;
      }
      case 'p':
        // v2's snapshot protection status: rbd writes a length of 8 and then a 1-byte bool
        // (Export.cc; Import.cc reads one byte), so the length cannot be trusted here.
        await need(1, "record 'p'");
        break;
      default:
        if (length === undefined)
          bad(`unknown record tag 0x${tag.charCodeAt(0).toString(16)} at byte ${at}`);
        // v2 lets a reader skip what it does not know.
        for await (const skipped of reader.pieces(length!)) void skipped;
    }
  }
}
