import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import {
  ListReplicationsQuery,
  ReplicationListResponse,
  ReplicationResponse,
} from '@snapferry/contracts';
import { ApiErrors } from '../http/api-docs';
import type { Caller } from '../http/api-keys';
import { CurrentCaller } from '../http/auth.guard';
import { ReplicationIdPipe } from '../http/id.pipes';
import { ReplicationQueries } from './replication-queries';

@ApiTags('replications')
@ApiBearerAuth()
@ApiErrors(400, 401)
@Controller('v1/replications')
export class ReplicationsController {
  constructor(private readonly queries: ReplicationQueries) {}

  @Get()
  @ApiOkResponse({ type: ReplicationListResponse, description: 'newest first' })
  list(@CurrentCaller() caller: Caller, @Query() query: ListReplicationsQuery) {
    return this.queries.list(caller, query);
  }

  @Get(':id')
  @ApiOkResponse({ type: ReplicationResponse })
  @ApiErrors(404)
  get(@CurrentCaller() caller: Caller, @Param('id', ReplicationIdPipe) id: string) {
    return this.queries.get(caller, id);
  }
}
