import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RegionsResponse } from '@snapferry/contracts';
import { publicRegion, regionChunkSize, type RegionCatalog } from '@snapferry/domain';
import type { SnapferryConfig } from '@snapferry/platform';
import { ApiErrors } from '../http/api-docs';
import { CurrentCaller } from '../http/auth.guard';
import type { Caller } from '../http/api-keys';
import { PostgresEventStore } from '@snapferry/event-store';
import { regionUsageRepository } from '../store/region-usage.repository';
import { CONFIG, REGION_CATALOG } from '../tokens';

@ApiTags('regions')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('v1/regions')
export class RegionsController {
  constructor(
    @Inject(REGION_CATALOG) private readonly catalog: RegionCatalog,
    @Inject(CONFIG) private readonly config: SnapferryConfig,
    private readonly db: PostgresEventStore,
  ) {}

  /** The region catalog with this account's quota use and the chunk size of uploads per region. */
  @Get()
  @ApiOkResponse({ type: RegionsResponse })
  async list(@CurrentCaller() caller: Caller): Promise<RegionsResponse> {
    const used = await regionUsageRepository.read(this.db, caller.accountId);
    return {
      // Where and how a region stores its data is the deployment's business, not a client's.
      regions: this.catalog.regions.map((r) => ({
        ...publicRegion(r),
        snapshotsUsed: used.get(r.id) ?? 0,
        chunkSize: regionChunkSize(this.catalog, r.id, this.config.chunkSize),
      })),
      geoRestrictions: this.catalog.geoRestrictions,
      chunkSize: this.config.chunkSize,
    };
  }
}
