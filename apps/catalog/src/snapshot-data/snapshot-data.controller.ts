import { Controller, Get, Headers, Inject, Param, Put, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { Caller } from '../http/api-keys';
import { CurrentCaller, RequestId } from '../http/auth.guard';
import { SnapshotIdPipe } from '../http/id.pipes';
import { SnapshotData } from './snapshot-data';

@ApiTags('snapshots')
@ApiBearerAuth()
@Controller('v1/snapshots/:id/data')
export class SnapshotDataController {
  constructor(@Inject(SnapshotData) private readonly data: SnapshotData) {}

  /** Streams the disk image into the snapshot's region as chunks; the snapshot becomes NORMAL. */
  @Put()
  @ApiConsumes('application/octet-stream')
  upload(
    @CurrentCaller() caller: Caller,
    @Param('id', SnapshotIdPipe) id: string,
    @Headers('content-type') contentType: string | undefined,
    @Req() request: Request,
    @RequestId() requestId: string,
  ) {
    return this.data.upload(caller, id, contentType, request, requestId);
  }

  /** Streams the snapshot's bytes back; a single HTTP Range is honoured. */
  @Get()
  @ApiProduces('application/octet-stream')
  download(
    @CurrentCaller() caller: Caller,
    @Param('id', SnapshotIdPipe) id: string,
    @Headers('range') range: string | undefined,
    @Res() response: Response,
  ) {
    return this.data.download(caller, id, range, response);
  }
}
