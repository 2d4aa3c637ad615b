import { randomBytes } from 'node:crypto';

/**
 * A cephx secret as Ceph writes it (CryptoKey::encode, base64): u16 type (1 = AES), u32
 * seconds and u32 nanoseconds of creation, u16 length (16), then 16 random bytes. Made here
 * instead of by four `ceph-authtool` runs: each costs a process start (~0.2 s on a busy machine).
 */
export function cephKey(now = Date.now(), secret: Buffer = randomBytes(16)): string {
  if (secret.length !== 16) throw new Error('a cephx secret has 16 bytes');
  const header = Buffer.alloc(12);
  header.writeUInt16LE(1, 0);
  header.writeUInt32LE(Math.floor(now / 1000), 2);
  header.writeUInt32LE((now % 1000) * 1_000_000, 6);
  header.writeUInt16LE(16, 10);
  return Buffer.concat([header, secret]).toString('base64');
}

/** `[name]` sections with a key and capabilities (`{ mon: 'allow *' }`), as `ceph-authtool` writes. */
export function keyring(entities: Record<string, Record<string, string>>, key = cephKey): string {
  return Object.entries(entities)
    .map(
      ([name, caps]) =>
        `[${name}]\n\tkey = ${key()}\n` +
        Object.entries(caps)
          .map(([service, cap]) => `\tcaps ${service} = "${cap}"\n`)
          .join(''),
    )
    .join('');
}
