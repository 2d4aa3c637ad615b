import { Controller, Headers, HttpCode, Param, Post, Req } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { ChangesStoredResponse } from '@snapferry/contracts';
import { ApiErrors } from '../../http/api-docs';
import type { Caller } from '../../http/api-keys';
import { CurrentCaller, RequestId } from '../../http/auth.guard';
import { SnapshotIdPipe } from '../../http/id.pipes';
import { StoreChanges } from './store-changes';

const changeStreamFormat = [
  'A change stream, little-endian like `rbd export-diff` v1:',
  '`"snapferry changes v1\\n"`;',
  "optionally `'s'` le64 size (the new data size, before any range; default the base's);",
  "then ranges sorted by offset, not overlapping: `'w'` le64 offset le64 length and the bytes,",
  "or `'z'` le64 offset le64 length (zeros, no bytes: a discard/trim);",
  "then `'e'` and the 32-byte SHA-256 of every byte from the magic through the `'e'`.",
].join(' ');

@ApiTags('snapshots')
@ApiBearerAuth()
@ApiErrors(400, 401, 404, 409, 413, 415, 429, 507)
@Controller('v1/snapshots/:id/data/changes')
export class ChangesController {
  constructor(private readonly changes: StoreChanges) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'store a snapshot registered with baseSnapshotId from its changed ranges only',
    description: `${changeStreamFormat} The region builds the manifest from the base's: a chunk no range touches is the base's (not read), a chunk a range touches is rebuilt whole (the rest read from the base), a chunk a zero range covers whole is the zero chunk. The snapshot becomes NORMAL; its identity is the manifest root (digest stays null: nobody read the whole image).`,
  })
  @ApiConsumes('application/octet-stream')
  @ApiBody({ schema: { type: 'string', format: 'binary', description: changeStreamFormat } })
  @ApiOkResponse({ type: ChangesStoredResponse, description: 'stored; the snapshot is NORMAL' })
  receive(
    @CurrentCaller() caller: Caller,
    @Param('id', SnapshotIdPipe) id: string,
    @Headers('content-type') contentType: string | undefined,
    @Req() request: Request,
    @RequestId() requestId: string,
  ) {
    return this.changes.receive(caller, id, contentType, request, requestId);
  }
}
