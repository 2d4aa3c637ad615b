import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { RegionCatalog } from '@snapferry/domain';
import type { CopiesResponse, RequestCopiesRequest } from '@snapferry/contracts';
import { ApiError } from '../http/api-error';
import type { Caller } from '../http/api-keys';
import { meta } from '../snapshots/snapshot-commands';
import { PostgresEventStore } from '@snapferry/event-store';
import { CatalogStore } from '../store/catalog-store';
import { clientTokensRepository as clientTokens } from './client-tokens.repository';
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
    private readonly db: PostgresEventStore,
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
      if (
        body.clientToken &&
        !(await clientTokens.claim(tx.db, caller.accountId, body.clientToken, requestHash))
      )
        return { replay: true as const };
      const decision = await decideCopies(tx, new QuotaLocks(tx.db), this.regions, {
        accountId: caller.accountId,
        sourceSnapshotId: snapshotId,
        destinationRegions: body.destinationRegions,
        snapshotName: body.snapshotName,
        ...(body.deadline !== undefined ? { deadline: body.deadline } : {}),
        now: new Date().toISOString(),
      });
      const response: CopiesResponse = { sourceSnapshotId: snapshotId, results: decision.results };
      if (body.clientToken)
        await clientTokens.answer(tx.db, caller.accountId, body.clientToken, response);
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
    const row = await clientTokens.find(this.db, caller.accountId, clientToken);
    if (!row)
      throw new ApiError(409, 'FailedOperation.ConcurrentModification', 'retry the request');
    if (row.requestHash !== requestHash)
      throw new ApiError(
        409,
        'UnsupportedOperation.ClientTokenReused',
        'this clientToken was used for a different request',
      );
    return row.response;
  }
}
