import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';

/** Held while its dedicated connection lives; `lost` aborts if the connection drops. */
export type Leadership = {
  name: string;
  lost: AbortSignal;
  release(): Promise<void>;
};

/**
 * A session-level advisory lock on its own connection: one leader per name across
 * processes (e.g. the outbox relay). PostgreSQL frees it when the connection ends, so a
 * crashed leader is replaced. Returns undefined when someone else leads.
 */
export async function tryAcquireLeadership(
  url: string,
  name: string,
): Promise<Leadership | undefined> {
  const client = new Client({
    connectionString: url,
    application_name: `snapferry-leader:${name}`.slice(0, 63),
  });
  const lost = new AbortController();
  client.on('error', (error) => lost.abort(error));
  client.on('end', () => lost.abort(new Error(`leadership "${name}" connection ended`)));
  await client.connect();
  try {
    const { rows } = await client.query<{ acquired: boolean }>(
      `SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS acquired`,
      [`snapferry:leader:${name}`],
    );
    if (!rows[0]?.acquired) {
      await client.end();
      return undefined;
    }
  } catch (error) {
    // The query's failure is what the caller needs; a connection that cannot even end is gone.
    await client.end().catch(() => undefined);
    throw error;
  }
  let released = false;
  return {
    name,
    lost: lost.signal,
    release: async () => {
      if (released) return;
      released = true;
      // Ending the connection frees the lock; if it fails, the connection (and the lock) is gone.
      await client.end().catch(() => undefined);
    },
  };
}

/** Tries every `retryMs` until leadership is won; rejects with the abort reason if `signal` aborts first. */
export async function acquireLeadership(
  url: string,
  name: string,
  { signal, retryMs = 1000 }: { signal?: AbortSignal; retryMs?: number } = {},
): Promise<Leadership> {
  for (;;) {
    signal?.throwIfAborted();
    const leadership = await tryAcquireLeadership(url, name);
    if (leadership) return leadership;
    await sleep(retryMs, undefined, { signal });
  }
}
