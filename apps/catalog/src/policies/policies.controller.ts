import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import {
  ChangePolicyRequest,
  CreatePolicyRequest,
  PageQuery,
  PolicyListResponse,
  PolicyPreviewResponse,
  PolicyResponse,
  PolicyStatusResponse,
} from '@snapferry/contracts';
import { ApiErrors } from '../http/api-docs';
import type { Caller } from '../http/api-keys';
import { CurrentCaller, RequestId } from '../http/auth.guard';
import { PolicyIdPipe } from '../http/id.pipes';
import { PolicyCommands } from './policy-commands';
import { PolicyQueries } from './policy-queries';
import { PolicyReports } from './policy-reports';

@ApiTags('policies')
@ApiBearerAuth()
@ApiErrors(400, 401)
@Controller('v1/policies')
export class PoliciesController {
  constructor(
    private readonly commands: PolicyCommands,
    private readonly queries: PolicyQueries,
    private readonly reports: PolicyReports,
  ) {}

  @Post()
  @ApiCreatedResponse({ type: PolicyResponse })
  @ApiErrors(403)
  create(
    @CurrentCaller() caller: Caller,
    @Body() body: CreatePolicyRequest,
    @RequestId() requestId: string,
  ) {
    return this.commands.create(caller, body, requestId);
  }

  @Get()
  @ApiOkResponse({ type: PolicyListResponse })
  list(@CurrentCaller() caller: Caller, @Query() query: PageQuery) {
    return this.queries.list(caller, query);
  }

  @Get(':id')
  @ApiOkResponse({ type: PolicyResponse })
  @ApiErrors(404)
  get(@CurrentCaller() caller: Caller, @Param('id', PolicyIdPipe) id: string) {
    return this.queries.get(caller, id);
  }

  @Patch(':id')
  @ApiOkResponse({ type: PolicyResponse })
  @ApiErrors(403, 404, 409)
  change(
    @CurrentCaller() caller: Caller,
    @Param('id', PolicyIdPipe) id: string,
    @Body() body: ChangePolicyRequest,
    @RequestId() requestId: string,
  ) {
    return this.commands.change(caller, id, body, requestId);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'deleted; the copies it made stay' })
  @ApiErrors(404, 409)
  delete(
    @CurrentCaller() caller: Caller,
    @Param('id', PolicyIdPipe) id: string,
    @RequestId() requestId: string,
  ) {
    return this.commands.delete(caller, id, requestId);
  }

  @Get(':id/preview')
  @ApiOkResponse({
    type: PolicyPreviewResponse,
    description: 'what the policy would copy and delete now',
  })
  @ApiErrors(404)
  preview(@CurrentCaller() caller: Caller, @Param('id', PolicyIdPipe) id: string) {
    return this.reports.preview(caller, id);
  }

  @Get(':id/status')
  @ApiOkResponse({
    type: PolicyStatusResponse,
    description: 'the recovery point of each selected disk in each destination',
  })
  @ApiErrors(404)
  status(@CurrentCaller() caller: Caller, @Param('id', PolicyIdPipe) id: string) {
    return this.reports.status(caller, id);
  }
}
