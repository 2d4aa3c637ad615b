import { CorruptChunkError, InvalidIdError, MissingChunkError, StorageFullError } from '../errors';
import { storeAnswerOf, storeErrors } from './store-errors';

const digest = 'ab'.repeat(32);

describe("the store service's answers to storage errors", () => {
  it('answers each storage error with its row, and the extra fields its client reads back', () => {
    expect(storeAnswerOf(new InvalidIdError('snapshot id', 'x'))).toMatchObject(
      storeErrors.invalid,
    );
    expect(
      storeAnswerOf(new CorruptChunkError({ digest, region: 'ap-tokyo' }, 'cd'.repeat(32))),
    ).toMatchObject(storeErrors.corruptChunk);
    expect(
      storeAnswerOf(new MissingChunkError({ digest, region: 'ap-tokyo' }, [digest])),
    ).toMatchObject({
      ...storeErrors.chunksMissing,
      extra: { missing: [digest] },
    });
    expect(
      storeAnswerOf(new StorageFullError('ap-tokyo', 'chunk x', 'the bucket is over its quota')),
    ).toMatchObject({ ...storeErrors.full, extra: { reason: 'the bucket is over its quota' } });
  });

  it('leaves anything else to the caller', () => {
    expect(storeAnswerOf(new Error('boom'))).toBeNull();
    expect(storeAnswerOf('boom')).toBeNull();
  });
});
