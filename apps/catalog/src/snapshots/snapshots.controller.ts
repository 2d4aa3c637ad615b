import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  ErrorBody,
  ListSnapshotsQuery,
  RegisterSnapshotRequest,
  RenameSnapshotRequest,
  RequestCopiesRequest,
} from '@snapferry/contracts';
import { RequestCopies } from '../copies/request-copies';
import type { Caller } from '../http/api-keys';
import { CurrentCaller, RequestId } from '../http/auth.guard';
import { SnapshotIdPipe } from '../http/id.pipes';
import { SnapshotCommands } from './snapshot-commands';
import { SnapshotQueries } from './snapshot-queries';

@ApiTags('snapshots')
@ApiBearerAuth()
@ApiResponse({ status: 400, type: ErrorBody, description: 'bad input' })
@ApiResponse({ status: 401, type: ErrorBody, description: 'no or bad API key' })
@Controller('v1/snapshots')
export class SnapshotsController {
  constructor(
    private readonly commands: SnapshotCommands,
    private readonly queries: SnapshotQueries,
    private readonly copies: RequestCopies,
  ) {}

  @Post()
  register(
    @CurrentCaller() caller: Caller,
    @Body() body: RegisterSnapshotRequest,
    @RequestId() requestId: string,
  ) {
    return this.commands.register(caller, body, requestId);
  }

  @Get()
  list(@CurrentCaller() caller: Caller, @Query() query: ListSnapshotsQuery) {
    return this.queries.list(caller, query);
  }

  @Get(':id')
  get(@CurrentCaller() caller: Caller, @Param('id', SnapshotIdPipe) id: string) {
    return this.queries.get(caller, id);
  }

  @Patch(':id')
  rename(
    @CurrentCaller() caller: Caller,
    @Param('id', SnapshotIdPipe) id: string,
    @Body() body: RenameSnapshotRequest,
    @RequestId() requestId: string,
  ) {
    return this.commands.rename(caller, id, body.name, requestId);
  }

  @Delete(':id')
  @HttpCode(204)
  delete(
    @CurrentCaller() caller: Caller,
    @Param('id', SnapshotIdPipe) id: string,
    @RequestId() requestId: string,
  ) {
    return this.commands.delete(caller, id, requestId);
  }

  @Post(':id/copies')
  @HttpCode(202)
  copy(
    @CurrentCaller() caller: Caller,
    @Param('id', SnapshotIdPipe) id: string,
    @Body() body: RequestCopiesRequest,
    @RequestId() requestId: string,
  ) {
    return this.copies.handle(caller, id, body, requestId);
  }
}
