import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { RegionCatalog } from '@snapferry/domain';
import type { CopiesResponse, RequestCopiesRequest } from '@snapferry/contracts';
import { ApiError } from '../http/api-error';
import type { Caller } from '../http/api-keys';
import { meta } from '../snapshots/snapshot-commands';
import { CatalogStore } from '../store/catalog-store';
import { decideCopies, QuotaLocks } from './decide-copies';
import { REGION_CATALOG } from '../tokens';

const hashOf = (snapshotId: string, body: RequestCopiesRequest) =>
  createHash('sha256')
    .update(
      JSON.stringify([
        snapshotId,
        body.destinationRegions,
        body.snapshotName ?? null,
        ...(body.deadline === undefined ? [] : [body.deadline]),
      ]),
    )
    .digest('hex');

/**
 * `POST /v1/snapshots/{id}/copies`: one transaction holds the clientToken row, the account's
 * quota rows and the source stream, so duplicates, quota and "one copy at a time" hold
 * under concurrent requests.
 */
@Injectable()
export class RequestCopies {
  constructor(
    private readonly store: CatalogStore,
    @Inject(REGION_CATALOG) private readonly regions: RegionCatalog,
  ) {}

  async handle(
    caller: Caller,
    snapshotId: string,
    body: RequestCopiesRequest,
    requestId: string,
  ): Promise<CopiesResponse> {
    const requestHash = hashOf(snapshotId, body);
    const outcome = await this.store.transaction(meta(caller, requestId), async (tx) => {
      if (body.clientToken) {
        // A concurrent duplicate blocks here until the first commits, then finds its row.
        const { rows } = await tx.sql<{ inserted: boolean }>(
          `INSERT INTO client_tokens (account_id, client_token, request_hash, response) VALUES ($1, $2, $3, 'null')
           ON CONFLICT DO NOTHING RETURNING true AS inserted`,
          [caller.accountId, body.clientToken, requestHash],
        );
        if (rows.length === 0) return { replay: true as const };
      }
      const decision = await decideCopies(tx, new QuotaLocks(tx.sql), this.regions, {
        accountId: caller.accountId,
        sourceSnapshotId: snapshotId,
        destinationRegions: body.destinationRegions,
        snapshotName: body.snapshotName,
        ...(body.deadline !== undefined ? { deadline: body.deadline } : {}),
        now: new Date().toISOString(),
      });
      const response: CopiesResponse = { sourceSnapshotId: snapshotId, results: decision.results };
      if (body.clientToken)
        await tx.sql(
          `UPDATE client_tokens SET response = $3 WHERE account_id = $1 AND client_token = $2`,
          [caller.accountId, body.clientToken, JSON.stringify(response)],
        );
      return { replay: false as const, response };
    });
    if (!outcome.replay) return outcome.response;
    return this.replay(caller, body.clientToken!, requestHash);
  }

  private async replay(
    caller: Caller,
    clientToken: string,
    requestHash: string,
  ): Promise<CopiesResponse> {
    const rows = await this.store.query<{ request_hash: string; response: CopiesResponse }>(
      `SELECT request_hash, response FROM client_tokens WHERE account_id = $1 AND client_token = $2`,
      [caller.accountId, clientToken],
    );
    const row = rows[0];
    if (!row)
      throw new ApiError(409, 'FailedOperation.ConcurrentModification', 'retry the request');
    if (row.request_hash !== requestHash)
      throw new ApiError(
        409,
        'UnsupportedOperation.ClientTokenReused',
        'this clientToken was used for a different request',
      );
    return row.response;
  }
}
