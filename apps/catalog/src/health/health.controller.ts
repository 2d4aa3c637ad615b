import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { Registry } from 'prom-client';
import { Public } from '../http/auth.guard';
import { HEALTH_CHECKS, METRICS, type HealthChecks } from '../tokens';

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
    const entries = await Promise.all(
      Object.entries(this.checks).map(async ([name, check]) => {
        try {
          return [name, (await check()) ? 'up' : 'down'] as const;
        } catch {
          return [name, 'down'] as const;
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    const ready = entries.every(([, state]) => state === 'up');
    response
      .status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
      .json({ status: ready ? 'ok' : 'unavailable', live: true, ready, checks });
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
