import { createHash, type Hash } from 'node:crypto';
import { ByteReader, EndOfStream } from './byte-reader';
import { ChangedRangeError } from './changed-ranges';

/**
 * The body of `POST /v1/snapshots/{id}/data/changes`: a snapshot's changes against its base,
 * streamed. Little-endian integers, like Ceph's `rbd export-diff` v1 that it is modelled on:
 *
 *     "snapferry changes v1\n"            magic
 *     's' le64 size                       optional, once, before any range: the new data size
 *     'w' le64 offset le64 length bytes   new bytes for [offset, offset+length)
 *     'z' le64 offset le64 length         zeros for that range (a discard/trim; no bytes sent)
 *     'e' 32 bytes                        end: SHA-256 of every byte from the magic through 'e'
 *
 * Ranges come sorted by offset and do not overlap. Without 's' the data keeps the base's size.
 */
export const changesMagic = Buffer.from('snapferry changes v1\n', 'latin1');

/** What a change stream (or an rbd export-diff stream) says, one event at a time. */
export type ChangeEvent =
  | { kind: 'size'; size: number }
  | { kind: 'write'; offset: number; length: number }
  /** The bytes of the last `write`, in pieces, exactly `length` of them in all. */
  | { kind: 'bytes'; bytes: Buffer }
  | { kind: 'zero'; offset: number; length: number }
  | { kind: 'end' };

const bad = (message: string): never => {
  throw new ChangedRangeError('InvalidParameter.ChangesFormat', message);
};

/** A le64 as a safe integer (offsets and lengths of a disk fit in 2^53). */
export function readLe64(bytes: Buffer, at: number, what: string): number {
  const value = bytes.readBigUInt64LE(at);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) bad(`${what} ${value} is too large`);
  return Number(value);
}

/**
 * Parses a change stream as it arrives (records may be cut anywhere between pieces). Checks the
 * framing and the final digest; the ranges' order and bounds are the caller's (RangeOrder),
 * since only it knows the disk. Throws ChangedRangeError with `InvalidParameter.ChangesFormat`
 * or `…ChangesDigest`.
 */
export async function* parseChangeStream(
  source: AsyncIterable<Uint8Array>,
): AsyncGenerator<ChangeEvent> {
  const hash: Hash = createHash('sha256');
  let hashing = true;
  const reader = new ByteReader(source, (bytes) => hashing && hash.update(bytes));
  const need = async (n: number, what: string): Promise<Buffer> =>
    (await reader.exact(n)) ?? bad(`the stream ended inside ${what} (at byte ${reader.position})`);
  const magic = await need(changesMagic.length, 'the header');
  if (!magic.equals(changesMagic))
    bad(`the body does not start with ${JSON.stringify(changesMagic.toString('latin1'))}`);
  let sawRange = false;
  let sawSize = false;
  for (;;) {
    const at = reader.position;
    const tag = String.fromCharCode((await need(1, 'a record tag'))[0]!);
    switch (tag) {
      case 's': {
        if (sawSize || sawRange)
          bad(`byte ${at}: the size record must come once, before any range`);
        sawSize = true;
        yield { kind: 'size', size: readLe64(await need(8, 'a size record'), 0, 'size') };
        break;
      }
      case 'w':
      case 'z': {
        sawRange = true;
        const header = await need(16, `a '${tag}' record`);
        const offset = readLe64(header, 0, 'offset');
        const length = readLe64(header, 8, 'length');
        if (tag === 'z') {
          yield { kind: 'zero', offset, length };
          break;
        }
        yield { kind: 'write', offset, length };
        try {
          for await (const bytes of reader.pieces(length)) yield { kind: 'bytes', bytes };
        } catch (error) {
          if (error instanceof EndOfStream)
            bad(
              `the stream ended inside the bytes of the range at offset ${offset} (${error.received} of ${length})`,
            );
          throw error;
        }
        break;
      }
      case 'e': {
        const expected = hash.digest();
        hashing = false;
        const sent = await need(32, 'the final digest');
        if (!sent.equals(expected))
          throw new ChangedRangeError(
            'InvalidParameter.ChangesDigest',
            `the body's final SHA-256 is ${sent.toString('hex')}, but its bytes hash to ${expected.toString('hex')}: it was altered or cut; nothing was stored`,
          );
        if (!(await reader.atEnd())) bad('bytes follow the end record');
        yield { kind: 'end' };
        return;
      }
      default:
        bad(`byte ${at}: unknown record tag 0x${tag.charCodeAt(0).toString(16)}`);
    }
  }
}

/**
 * Writes a change stream (the client side): call the record methods in order, each returns the
 * bytes to send; `end()` returns the end record with the digest of everything before it.
 */
export class ChangeStreamWriter {
  private readonly hash = createHash('sha256');

  header(): Buffer {
    return this.out(Buffer.from(changesMagic));
  }

  size(size: number): Buffer {
    const record = Buffer.alloc(9);
    record.write('s', 0, 'latin1');
    record.writeBigUInt64LE(BigInt(size), 1);
    return this.out(record);
  }

  /** The record's header: send the `length` bytes themselves through `bytes()` next. */
  write(offset: number, length: number): Buffer {
    return this.out(rangeRecord('w', offset, length));
  }

  bytes(bytes: Buffer): Buffer {
    return this.out(bytes);
  }

  zero(offset: number, length: number): Buffer {
    return this.out(rangeRecord('z', offset, length));
  }

  end(): Buffer {
    this.hash.update('e');
    return Buffer.concat([Buffer.from('e', 'latin1'), this.hash.digest()]);
  }

  private out(bytes: Buffer): Buffer {
    this.hash.update(bytes);
    return bytes;
  }
}

function rangeRecord(tag: 'w' | 'z', offset: number, length: number): Buffer {
  const record = Buffer.alloc(17);
  record.write(tag, 0, 'latin1');
  record.writeBigUInt64LE(BigInt(offset), 1);
  record.writeBigUInt64LE(BigInt(length), 9);
  return record;
}
