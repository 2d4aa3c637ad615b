import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { RebuildResponse } from '@snapferry/contracts';
import { ApiErrors } from '../http/api-docs';
import { OperatorOnly } from '../http/auth.guard';
import { Projector } from '../read-models/projector';

/** Operators rebuild the read models from the event log (after a projection fix, say). */
@ApiTags('admin')
@ApiBearerAuth()
@OperatorOnly()
@ApiErrors(401, 403)
@Controller('v1/admin/projections')
export class ProjectionsController {
  constructor(private readonly projector: Projector) {}

  /** Clears the views and rewinds the projector; it replays the log while the service runs. */
  @Post('rebuild')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: RebuildResponse, description: 'the views are rebuilding' })
  async rebuild(): Promise<RebuildResponse> {
    await this.projector.rebuild();
    return { rebuilt: true };
  }
}
