import { Injectable } from '@nestjs/common';
import type { PolicyView } from '@snapferry/domain';
import type { PageQuery, PolicyListResponse, PolicyResponse } from '@snapferry/contracts';
import { ApiError } from '../http/api-error';
import type { Caller } from '../http/api-keys';
import { PostgresEventStore } from '@snapferry/event-store';
import { policyViewsRepository as views } from '../read-models/policy-views.repository';

const toResponse = ({ accountId: _accountId, ...view }: PolicyView): PolicyResponse => view;

/** The account's policies, from the policy view. */
@Injectable()
export class PolicyQueries {
  constructor(private readonly db: PostgresEventStore) {}

  async view(caller: Caller, policyId: string): Promise<PolicyView> {
    const doc = await views.find(this.db, caller.accountId, policyId);
    if (!doc)
      throw new ApiError(404, 'ResourceNotFound.Policy', `policy ${policyId} does not exist`);
    return doc;
  }

  async get(caller: Caller, policyId: string): Promise<PolicyResponse> {
    return toResponse(await this.view(caller, policyId));
  }

  async list(caller: Caller, query: PageQuery): Promise<PolicyListResponse> {
    const offset = query.offset ?? 0;
    const limit = query.limit ?? 20;
    const { total, docs } = await views.list(this.db, caller.accountId, offset, limit);
    return { total, offset, limit, policies: docs.map(toResponse) };
  }
}
