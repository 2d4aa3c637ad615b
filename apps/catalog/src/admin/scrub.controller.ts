import { Controller, HttpCode, Inject, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ScrubReportResponse } from '@snapferry/contracts';
import { findRegion, type RegionCatalog } from '@snapferry/domain';
import { RegionStores } from '@snapferry/storage';
import { ApiErrors } from '../http/api-docs';
import { ApiError } from '../http/api-error';
import { OperatorOnly } from '../http/auth.guard';
import { REGION_CATALOG } from '../tokens';

/**
 * Operators re-verify a region's stored data, in the spirit of a ZFS scrub: every chunk is
 * re-read and re-hashed (corrupt ones are reported and removed, so a new upload or copy can
 * restore them) and every manifest's chunks are checked for presence. Copies never need it.
 */
@ApiTags('admin')
@ApiBearerAuth()
@OperatorOnly()
@ApiErrors(400, 401, 403)
@Controller('v1/admin/regions/:region/scrub')
export class ScrubController {
  constructor(
    @Inject(REGION_CATALOG) private readonly regions: RegionCatalog,
    private readonly regionStores: RegionStores,
  ) {}

  /** Runs to the end (it reads every chunk, so it takes as long as that) and answers the report. */
  @Post()
  @HttpCode(200)
  @ApiOkResponse({ type: ScrubReportResponse, description: 'the report' })
  async scrub(
    @Param('region') region: string,
    @Res({ passthrough: true }) response: Response,
  ): Promise<ScrubReportResponse> {
    if (!findRegion(this.regions, region))
      throw new ApiError(
        400,
        'InvalidParameterValue.Region',
        `region ${region.slice(0, 40)} is unknown or not supported`,
      );
    // A caller that goes away stops the scrub (what it removed so far stays removed).
    const gone = new AbortController();
    response.on('close', () => response.writableFinished || gone.abort());
    return this.regionStores
      .get(region)
      .scrub({ signal: gone.signal })
      .catch((error: unknown) => {
        if (!gone.signal.aborted) throw error;
        throw new ApiError(
          400,
          'InvalidParameter.RequestAborted',
          'the caller went away; the scrub stopped',
        );
      });
  }
}
