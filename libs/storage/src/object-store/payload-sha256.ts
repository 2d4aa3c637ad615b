import type { PutObjectCommand } from '@aws-sdk/client-s3';

/**
 * Makes a PUT's signed payload hash (`x-amz-content-sha256`) the given SHA-256 (hex): the
 * store then refuses a body that does not hash to it (`XAmzContentSHA256Mismatch`, 400) and
 * stores nothing. For a chunk, that hash is its digest, already known: the SigV4 signer takes
 * a hash found in the headers instead of hashing the body again, so this costs nothing on the
 * hot path and works for stream bodies too (which the SDK otherwise sends UNSIGNED-PAYLOAD).
 * Ceph RGW 16.2 checks it (and Content-MD5) but ignores `x-amz-checksum-sha256`.
 */
export function signPayloadAs(command: PutObjectCommand, sha256Hex: string): PutObjectCommand {
  if (!/^[0-9a-f]{64}$/.test(sha256Hex))
    throw new Error(`not a SHA-256 in lower-case hex: ${JSON.stringify(sha256Hex)}`);
  command.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers['x-amz-content-sha256'] = sha256Hex;
      return next(args);
    },
    // 'build' runs before the signer ('finalizeRequest'), which reads the header.
    { step: 'build', name: 'snapferryPayloadSha256', override: true },
  );
  return command;
}
