import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { Registry } from 'prom-client';

export const REPLICATOR_HEALTH = Symbol('REPLICATOR_HEALTH');
export const REPLICATOR_METRICS = Symbol('REPLICATOR_METRICS');
export type Checks = Record<string, () => Promise<boolean>>;

/** The replicator's own /health (database and broker) and /metrics, on REPLICATOR_PORT. */
@Controller()
export class ReplicatorHealthController {
  constructor(
    @Inject(REPLICATOR_HEALTH) private readonly checks: Checks,
    @Inject(REPLICATOR_METRICS) private readonly registry: Registry,
  ) {}

  @Get('health')
  async health(@Res() response: Response): Promise<void> {
    const entries = await Promise.all(
      Object.entries(this.checks).map(async ([name, check]) => [name, (await check().catch(() => false)) ? 'up' : 'down'] as const),
    );
    const ready = entries.every(([, s]) => s === 'up');
    response.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json({ status: ready ? 'ok' : 'unavailable', ready, checks: Object.fromEntries(entries) });
  }

  @Get('metrics')
  async metrics(@Res() response: Response): Promise<void> {
    response.setHeader('content-type', this.registry.contentType);
    response.send(await this.registry.metrics());
  }
}
