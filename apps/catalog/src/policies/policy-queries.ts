import { Injectable } from '@nestjs/common';
import type { PolicyView } from '@snapferry/domain';
import type { PageQuery, PolicyListResponse, PolicyResponse } from '@snapferry/contracts';
import { ApiError } from '../http/api-error';
import type { Caller } from '../http/api-keys';
import { CatalogStore } from '../store/catalog-store';

const toResponse = ({ accountId: _accountId, ...view }: PolicyView): PolicyResponse => view;

/** The account's policies, from the policy view. */
@Injectable()
export class PolicyQueries {
  constructor(private readonly store: CatalogStore) {}

  async view(caller: Caller, policyId: string): Promise<PolicyView> {
    const rows = await this.store.query<{ doc: PolicyView }>(
      `SELECT doc FROM policy_view WHERE policy_id = $1 AND account_id = $2`,
      [policyId, caller.accountId],
    );
    if (!rows[0])
      throw new ApiError(404, 'ResourceNotFound.Policy', `policy ${policyId} does not exist`);
    return rows[0].doc;
  }

  async get(caller: Caller, policyId: string): Promise<PolicyResponse> {
    return toResponse(await this.view(caller, policyId));
  }

  async list(caller: Caller, query: PageQuery): Promise<PolicyListResponse> {
    const offset = query.offset ?? 0;
    const limit = query.limit ?? 20;
    const rows = await this.store.query<{ doc: PolicyView; total: string }>(
      `SELECT doc, count(*) OVER () AS total FROM policy_view WHERE account_id = $1
       ORDER BY created_at DESC, policy_id DESC OFFSET $2 LIMIT $3`,
      [caller.accountId, offset, limit],
    );
    const total =
      rows[0]?.total ??
      (
        await this.store.query<{ total: string }>(
          `SELECT count(*) AS total FROM policy_view WHERE account_id = $1`,
          [caller.accountId],
        )
      )[0]?.total ??
      '0';
    return { total: Number(total), offset, limit, policies: rows.map((r) => toResponse(r.doc)) };
  }
}
