import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  changePolicy,
  createPolicy,
  deletePolicy,
  makeId,
  type RegionCatalog,
  streamIds,
} from '@snapferry/domain';
import type { PolicyResponse } from '@snapferry/contracts';
import type { Caller } from '../http/api-keys';
import { meta } from '../snapshots/snapshot-commands';
import { CatalogTransactions } from '../transactions/catalog-transactions';
import { REGION_CATALOG } from '../tokens';
import { PolicyQueries } from './policy-queries';

/** Create, change and delete a policy: parse and decide against its stream, append. */
@Injectable()
export class PolicyCommands {
  constructor(
    private readonly transactions: CatalogTransactions,
    private readonly queries: PolicyQueries,
    @Inject(REGION_CATALOG) private readonly regions: RegionCatalog,
  ) {}

  async create(caller: Caller, body: object, requestId: string): Promise<PolicyResponse> {
    const policyId = makeId('pol', randomBytes);
    await this.transactions.transaction(meta(caller, requestId), async (tx) => {
      const account = await tx.account(caller.accountId);
      const created = createPolicy(
        { policyId, accountId: caller.accountId, input: body, now: new Date().toISOString() },
        { regions: this.regions, betaEnabled: account.state.betaEnabled },
      );
      tx.append(streamIds.policy(policyId), 0, [created]);
    });
    return this.queries.get(caller, policyId);
  }

  async change(
    caller: Caller,
    policyId: string,
    patch: object,
    requestId: string,
  ): Promise<PolicyResponse> {
    await this.transactions.transaction(meta(caller, requestId), async (tx) => {
      const policy = await tx.policy(policyId);
      const account = await tx.account(caller.accountId);
      const changed = changePolicy(
        policy.state,
        { policyId, accountId: caller.accountId, patch, now: new Date().toISOString() },
        { regions: this.regions, betaEnabled: account.state.betaEnabled },
      );
      tx.append(streamIds.policy(policyId), policy.version, changed);
    });
    return this.queries.get(caller, policyId);
  }

  async delete(caller: Caller, policyId: string, requestId: string): Promise<void> {
    await this.transactions.transaction(meta(caller, requestId), async (tx) => {
      const policy = await tx.policy(policyId);
      const deleted = deletePolicy(policy.state, {
        policyId,
        accountId: caller.accountId,
        now: new Date().toISOString(),
      });
      tx.append(streamIds.policy(policyId), policy.version, [deleted]);
    });
  }
}
