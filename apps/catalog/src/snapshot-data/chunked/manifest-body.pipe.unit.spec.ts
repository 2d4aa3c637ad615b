import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { ApiError } from '../../http/api-error';
import { ChunkedUploadController } from './chunked-upload.controller';
import { ManifestBodyPipe } from './manifest-body.pipe';

const digest = createHash('sha256').update('x').digest('hex');
const body = { chunkSize: 65536, imageDigest: digest, root: digest, chunks: [] };

async function refusal(value: unknown): Promise<string> {
  try {
    await new ManifestBodyPipe().transform(value);
    return 'accepted';
  } catch (error) {
    if (error instanceof ApiError) return `${error.status} ${error.code}: ${error.message}`;
    throw error;
  }
}

describe('ManifestBodyPipe', () => {
  it('keeps the chunk list as sent (no deep copy) in an UploadManifestRequest', async () => {
    const chunks = [{ digest, size: 10 }];
    const checked = await new ManifestBodyPipe().transform({ ...body, chunks });
    expect(checked.chunks).toBe(chunks);
    expect(checked.constructor.name).toBe('UploadManifestRequest');
  });

  it.each([
    [[], /^400 InvalidParameter: the body must be a JSON object/],
    [null, /^400 InvalidParameter: the body must be a JSON object/],
    [{ ...body, extra: 1 }, /^400 InvalidParameter: property extra should not exist/],
    [{ ...body, root: 'a\u0000b' }, /^400 InvalidParameter: strings must not hold NUL/],
    [{ ...body, chunkSize: '65536' }, /^400 InvalidParameter: .*chunkSize must be an integer/],
    [{ ...body, imageDigest: undefined }, /^400 InvalidParameter: imageDigest must be a SHA-256/],
    [{ ...body, chunks: {} }, /^400 InvalidParameter: .*chunks must be an array/],
  ])('refuses %j', async (value, message) => expect(await refusal(value)).toMatch(message));

  it('is the only pipe that transforms the body: the parameter declares no class', () => {
    const types = Reflect.getMetadata(
      'design:paramtypes',
      ChunkedUploadController.prototype,
      'declare',
    );
    expect(types[2]).toBe(Object); // a class here would make the global pipe deep-copy the chunks
  });
});
