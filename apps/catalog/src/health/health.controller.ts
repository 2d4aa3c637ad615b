import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { Registry } from 'prom-client';
import { Public } from '../http/auth.guard';
import { type HealthChecks, healthReport } from '@snapferry/platform';
import { HEALTH_CHECKS, METRICS } from '../tokens';

/** Liveness and readiness (database and broker) and Prometheus metrics; no key needed. */
@ApiTags('operations')
@Public()
@Controller()
export class HealthController {
  constructor(
    @Inject(HEALTH_CHECKS) private readonly checks: HealthChecks,
    @Inject(METRICS) private readonly registry: Registry,
  ) {}

  @Get('health')
  async health(@Res() response: Response): Promise<void> {
    const report = await healthReport(this.checks);
    response.status(report.ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json(report);
  }

  @Get('health/live')
  live() {
    return { status: 'ok' };
  }

  @Get('metrics')
  async metrics(@Res() response: Response): Promise<void> {
    response.setHeader('content-type', this.registry.contentType);
    response.send(await this.registry.metrics());
  }
}
