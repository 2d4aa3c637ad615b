import { Body, Controller, Headers, HttpCode, Param, Post, Put, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import {
  ChunkStoredResponse,
  UploadManifestRequest,
  UploadPlanResponse,
} from '@snapferry/contracts';
import { ApiErrors } from '../../http/api-docs';
import type { Caller } from '../../http/api-keys';
import { CurrentCaller, RequestId } from '../../http/auth.guard';
import { DigestPipe, SnapshotIdPipe } from '../../http/id.pipes';
import { DeclareManifest } from './declare-manifest';
import { ManifestBodyPipe } from './manifest-body.pipe';
import { PutChunk } from './put-chunk';

/**
 * The incremental upload: declare the image's chunks, send only those the region lacks, then
 * declare again to commit. The plain streaming `PUT /v1/snapshots/{id}/data` stays for simple clients.
 */
@ApiTags('snapshots')
@ApiBearerAuth()
@ApiErrors(400, 401, 404, 409, 507)
@Controller('v1/snapshots/:id/data')
export class ChunkedUploadController {
  constructor(
    private readonly manifests: DeclareManifest,
    private readonly chunks: PutChunk,
  ) {}

  /**
   * Declares the image as chunk digests (JSON, up to 32 MiB) and answers the ones the region
   * lacks; when it lacks none, commits: the snapshot becomes NORMAL. Call it again after
   * sending the missing chunks, or to resume an interrupted upload.
   */
  @Post('manifest')
  @HttpCode(200)
  @ApiOkResponse({
    type: UploadPlanResponse,
    description: 'the missing chunks (state CREATING), or the committed snapshot (state NORMAL)',
  })
  @ApiErrors(413)
  @ApiBody({ type: UploadManifestRequest })
  declare(
    @CurrentCaller() caller: Caller,
    @Param('id', SnapshotIdPipe) id: string,
    // Readonly<…> declares no class to the framework, so the global validation pipe leaves the
    // body to ManifestBodyPipe (same checks, no deep copy of the chunk list).
    @Body(ManifestBodyPipe) body: Readonly<UploadManifestRequest>,
    @RequestId() requestId: string,
  ) {
    return this.manifests.declare(caller, id, body, requestId);
  }

  /** Uploads one chunk of the declared manifest; its bytes must hash to its digest. */
  @Put('chunks/:digest')
  @ApiConsumes('application/octet-stream')
  @ApiCreatedResponse({ type: ChunkStoredResponse, description: 'stored' })
  @ApiOkResponse({ type: ChunkStoredResponse, description: 'this account had already sent it' })
  @ApiErrors(408, 415, 429)
  async put(
    @CurrentCaller() caller: Caller,
    @Param('id', SnapshotIdPipe) id: string,
    @Param('digest', DigestPipe) digest: string,
    @Headers('content-type') contentType: string | undefined,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const stored = await this.chunks.put(caller, id, digest, contentType, request);
    response.status(stored.created ? 201 : 200);
    return stored;
  }
}
