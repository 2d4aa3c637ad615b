import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { Registry } from 'prom-client';
import { type HealthChecks, healthReport } from '@snapferry/platform';

export const REPLICATOR_HEALTH = Symbol('REPLICATOR_HEALTH');
export const REPLICATOR_METRICS = Symbol('REPLICATOR_METRICS');

/** The replicator's own /health (database and broker) and /metrics, on REPLICATOR_PORT. */
@Controller()
export class ReplicatorHealthController {
  constructor(
    @Inject(REPLICATOR_HEALTH) private readonly checks: HealthChecks,
    @Inject(REPLICATOR_METRICS) private readonly registry: Registry,
  ) {}

  @Get('health')
  async health(@Res() response: Response): Promise<void> {
    const report = await healthReport(this.checks);
    response.status(report.ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json(report);
  }

  @Get('metrics')
  async metrics(@Res() response: Response): Promise<void> {
    response.setHeader('content-type', this.registry.contentType);
    response.send(await this.registry.metrics());
  }
}
