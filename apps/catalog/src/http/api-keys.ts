import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKey, Role } from '@snapferry/platform';

export interface Caller {
  accountId: string;
  role: Role;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Looks a bearer key up in constant time: every configured key is compared (as SHA-256
 * digests of equal length), so timing says nothing about which one nearly matched.
 */
export function apiKeyLookup(keys: ApiKey[]): (presented: string) => Caller | undefined {
  const table = keys.map((k) => ({
    digest: digest(k.key),
    caller: { accountId: k.accountId, role: k.role },
  }));
  return (presented) => {
    const candidate = digest(presented);
    let found: Caller | undefined;
    for (const entry of table) if (timingSafeEqual(entry.digest, candidate)) found = entry.caller;
    return found;
  };
}
