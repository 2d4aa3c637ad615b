import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import {
  CopiesResponse,
  ListSnapshotsQuery,
  RegisterSnapshotRequest,
  RequestCopiesRequest,
  SnapshotListResponse,
  SnapshotResponse,
  UpdateSnapshotRequest,
} from '@snapferry/contracts';
import { RequestCopies } from '../copies/request-copies';
import { ApiErrors } from '../http/api-docs';
import type { Caller } from '../http/api-keys';
import { CurrentCaller, RequestId } from '../http/auth.guard';
import { SnapshotIdPipe } from '../http/id.pipes';
import { SnapshotCommands } from './snapshot-commands';
import { SnapshotQueries } from './snapshot-queries';

@ApiTags('snapshots')
@ApiBearerAuth()
@ApiErrors(400, 401)
@Controller('v1/snapshots')
export class SnapshotsController {
  constructor(
    private readonly commands: SnapshotCommands,
    private readonly queries: SnapshotQueries,
    private readonly copies: RequestCopies,
  ) {}

  @Post()
  @ApiCreatedResponse({ type: SnapshotResponse, description: 'registered, CREATING' })
  register(
    @CurrentCaller() caller: Caller,
    @Body() body: RegisterSnapshotRequest,
    @RequestId() requestId: string,
  ) {
    return this.commands.register(caller, body, requestId);
  }

  @Get()
  @ApiOkResponse({ type: SnapshotListResponse })
  @ApiQuery({
    name: 'tag:<key>',
    required: false,
    type: String,
    description:
      'a tag filter, `tag:<key>=<value>` (repeatable; all must match), e.g. `tag:tier=gold&tag:env=prod`',
  })
  list(@CurrentCaller() caller: Caller, @Query() query: ListSnapshotsQuery) {
    return this.queries.list(caller, query);
  }

  @Get(':id')
  @ApiOkResponse({ type: SnapshotResponse })
  @ApiErrors(404)
  get(@CurrentCaller() caller: Caller, @Param('id', SnapshotIdPipe) id: string) {
    return this.queries.get(caller, id);
  }

  @Patch(':id')
  @ApiOkResponse({ type: SnapshotResponse })
  @ApiErrors(404, 409)
  update(
    @CurrentCaller() caller: Caller,
    @Param('id', SnapshotIdPipe) id: string,
    @Body() body: UpdateSnapshotRequest,
    @RequestId() requestId: string,
  ) {
    return this.commands.update(caller, id, body, requestId);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'deleted (a target still copying: its copy is cancelled)' })
  @ApiErrors(404, 409)
  delete(
    @CurrentCaller() caller: Caller,
    @Param('id', SnapshotIdPipe) id: string,
    @RequestId() requestId: string,
  ) {
    return this.commands.delete(caller, id, requestId);
  }

  @Post(':id/copies')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: CopiesResponse, description: 'one result per destination' })
  @ApiErrors(403, 404, 409)
  copy(
    @CurrentCaller() caller: Caller,
    @Param('id', SnapshotIdPipe) id: string,
    @Body() body: RequestCopiesRequest,
    @RequestId() requestId: string,
  ) {
    return this.copies.handle(caller, id, body, requestId);
  }
}
