import { Controller, Delete, HttpCode, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { setBeta, streamIds } from '@snapferry/domain';
import { AccountIdParam, BetaResponse } from '@snapferry/contracts';
import { ApiErrors } from '../http/api-docs';
import { CurrentCaller, OperatorOnly, RequestId } from '../http/auth.guard';
import type { Caller } from '../http/api-keys';
import { meta } from '../snapshots/snapshot-commands';
import { CatalogTransactions } from '../transactions/catalog-transactions';

/** Operators enable cross-region replication per account (the cloud's beta application). */
@ApiTags('accounts')
@ApiBearerAuth()
@OperatorOnly()
@ApiErrors(400, 401, 403)
@Controller('v1/accounts/:id/beta')
export class BetaController {
  constructor(private readonly transactions: CatalogTransactions) {}

  @Put()
  @ApiOkResponse({ type: BetaResponse, description: 'enabled (again: no change)' })
  enable(
    @CurrentCaller() caller: Caller,
    @Param() { id }: AccountIdParam,
    @RequestId() requestId: string,
  ) {
    return this.set(caller, id, true, requestId);
  }

  @Delete()
  @HttpCode(200)
  @ApiOkResponse({ type: BetaResponse, description: 'disabled (again: no change)' })
  disable(
    @CurrentCaller() caller: Caller,
    @Param() { id }: AccountIdParam,
    @RequestId() requestId: string,
  ) {
    return this.set(caller, id, false, requestId);
  }

  private async set(
    caller: Caller,
    accountId: string,
    enabled: boolean,
    requestId: string,
  ): Promise<BetaResponse> {
    await this.transactions.transaction({ ...meta(caller, requestId), accountId }, async (tx) => {
      const { state, version } = await tx.account(accountId);
      tx.append(
        streamIds.account(accountId),
        version,
        setBeta(state, {
          accountId,
          enabled,
          operatorAccountId: caller.accountId,
          now: new Date().toISOString(),
        }),
      );
    });
    return { accountId, betaEnabled: enabled };
  }
}
