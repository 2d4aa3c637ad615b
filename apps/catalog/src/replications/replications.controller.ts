import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ListReplicationsQuery } from '@snapferry/contracts';
import type { Caller } from '../http/api-keys';
import { CurrentCaller } from '../http/auth.guard';
import { ReplicationIdPipe } from '../http/id.pipes';
import { ReplicationQueries } from './replication-queries';

@ApiTags('replications')
@ApiBearerAuth()
@Controller('v1/replications')
export class ReplicationsController {
  constructor(private readonly queries: ReplicationQueries) {}

  @Get()
  list(@CurrentCaller() caller: Caller, @Query() query: ListReplicationsQuery) {
    return this.queries.list(caller, query);
  }

  @Get(':id')
  get(@CurrentCaller() caller: Caller, @Param('id', ReplicationIdPipe) id: string) {
    return this.queries.get(caller, id);
  }
}
