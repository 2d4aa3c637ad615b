import type { CopiesResponse } from '@snapferry/contracts';
import type { SqlExecutor } from '@snapferry/event-store';

/** A clientToken's row: the request it was first used for and the answer given. */
export interface ClientTokenRow {
  requestHash: string;
  response: CopiesResponse;
}

/** `client_tokens`: the answer of each copy request made with a clientToken, for its retries. */
export const clientTokensRepository = {
  /**
   * In the request's transaction: the token's row, unless it exists (false). A concurrent
   * duplicate blocks here until the first commits, then finds its row.
   */
  async claim(
    tx: SqlExecutor,
    accountId: string,
    clientToken: string,
    requestHash: string,
  ): Promise<boolean> {
    const rows = await tx.query(
      `INSERT INTO client_tokens (account_id, client_token, request_hash, response) VALUES ($1, $2, $3, 'null')
       ON CONFLICT DO NOTHING RETURNING true AS inserted`,
      [accountId, clientToken, requestHash],
    );
    return rows.length > 0;
  },

  /** In the request's transaction: the answer its retries get. */
  async answer(
    tx: SqlExecutor,
    accountId: string,
    clientToken: string,
    response: CopiesResponse,
  ): Promise<void> {
    await tx.execute(
      `UPDATE client_tokens SET response = $3 WHERE account_id = $1 AND client_token = $2`,
      [accountId, clientToken, JSON.stringify(response)],
    );
  },

  async find(
    db: SqlExecutor,
    accountId: string,
    clientToken: string,
  ): Promise<ClientTokenRow | undefined> {
    const [row] = await db.query<{ request_hash: string; response: CopiesResponse }>(
      `SELECT request_hash, response FROM client_tokens WHERE account_id = $1 AND client_token = $2`,
      [accountId, clientToken],
    );
    return row && { requestHash: row.request_hash, response: row.response };
  },
};
