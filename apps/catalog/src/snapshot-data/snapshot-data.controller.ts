import { Controller, Get, Headers, Inject, Param, Put, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConsumes,
  ApiOkResponse,
  ApiPartialContentResponse,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { SnapshotResponse } from '@snapferry/contracts';
import { ApiErrors } from '../http/api-docs';
import type { Caller } from '../http/api-keys';
import { CurrentCaller, RequestId } from '../http/auth.guard';
import { SnapshotIdPipe } from '../http/id.pipes';
import { SnapshotData } from './snapshot-data';

@ApiTags('snapshots')
@ApiBearerAuth()
@ApiErrors(400, 401, 404, 409)
@Controller('v1/snapshots/:id/data')
export class SnapshotDataController {
  constructor(@Inject(SnapshotData) private readonly data: SnapshotData) {}

  /** Streams the disk image into the snapshot's region as chunks; the snapshot becomes NORMAL. */
  @Put()
  @ApiConsumes('application/octet-stream')
  @ApiOkResponse({ type: SnapshotResponse, description: 'stored; the snapshot is NORMAL' })
  @ApiErrors(408, 413, 415, 429)
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
  @ApiOkResponse({ description: 'the image', schema: { type: 'string', format: 'binary' } })
  @ApiPartialContentResponse({
    description: 'the requested byte range',
    schema: { type: 'string', format: 'binary' },
  })
  download(
    @CurrentCaller() caller: Caller,
    @Param('id', SnapshotIdPipe) id: string,
    @Headers('range') range: string | undefined,
    @Res() response: Response,
  ) {
    return this.data.download(caller, id, range, response);
  }
}
