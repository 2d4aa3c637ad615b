import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKey, Role } from '@snapferry/platform';

export interface Caller {
  accountId: string;
  role: Role;
  /** Which configured key authenticated the request (rate limits count per key). */
  keyId: string;
}

/**
 * Looks a bearer key up in constant time: the presented key's SHA-256 is compared with every
 * configured digest (plain keys are hashed at start, `sha256:` entries are digests already),
 * all of equal length, so timing says nothing about which one nearly matched.
 */
export function apiKeyLookup(keys: ApiKey[]): (presented: string) => Caller | undefined {
  const table = keys.map((k) => ({
    digest: Buffer.from(k.sha256, 'hex'),
    caller: { accountId: k.accountId, role: k.role, keyId: k.keyId },
  }));
  return (presented) => {
    const candidate = createHash('sha256').update(presented, 'utf8').digest();
    let found: Caller | undefined;
    for (const entry of table) if (timingSafeEqual(entry.digest, candidate)) found = entry.caller;
    return found;
  };
}
