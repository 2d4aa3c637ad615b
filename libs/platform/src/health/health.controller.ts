import {
  Controller,
  Get,
  HttpStatus,
  Inject,
  Res,
  ServiceUnavailableException,
} from '@nestjs/common';
import {
  ApiOkResponse,
  ApiProduces,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import type { Response } from 'express';
import type { Registry } from 'prom-client';
import { HealthResponse, LiveResponse } from '@snapferry/contracts';
import { Public } from '../http/public-route';
import { DependencyIndicators } from './health-indicators';
import { HEALTH_METRICS } from './health-tokens';

/** Liveness, readiness (database and broker) and Prometheus metrics; no key needed. */
@ApiTags('operations')
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly dependencies: DependencyIndicators,
    @Inject(HEALTH_METRICS) private readonly registry: Registry,
  ) {}

  @Get('health')
  @ApiOkResponse({ type: HealthResponse, description: 'ready: every dependency answers' })
  @ApiServiceUnavailableResponse({ type: HealthResponse, description: 'not ready' })
  async ready(@Res() response: Response): Promise<void> {
    const report = toHealthResponse(await this.check());
    response.status(report.ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json(report);
  }

  @Get('health/live')
  @ApiOkResponse({ type: LiveResponse })
  live(): LiveResponse {
    return { status: 'ok' };
  }

  @Get('metrics')
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text format', schema: { type: 'string' } })
  async metrics(@Res() response: Response): Promise<void> {
    response.setHeader('content-type', this.registry.contentType);
    response.send(await this.registry.metrics());
  }

  /** terminus answers a failed check by throwing its result in a 503: that result is the report. */
  private async check(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([this.dependencies.database, this.dependencies.broker]);
    } catch (error) {
      if (error instanceof ServiceUnavailableException)
        return error.getResponse() as HealthCheckResult;
      throw error;
    }
  }
}

/**
 * terminus's result in the shape `/health` has always answered (operators' probes rely on it),
 * plus `reasons` (why each check that is down failed) when one is.
 */
export function toHealthResponse(result: HealthCheckResult): HealthResponse {
  const ready = result.status === 'ok';
  const details = Object.entries(result.details);
  const reasons = Object.fromEntries(
    details.flatMap(([name, detail]) =>
      detail.status === 'down' && typeof detail['reason'] === 'string'
        ? [[name, detail['reason']]]
        : [],
    ),
  );
  return {
    status: ready ? 'ok' : 'unavailable',
    live: true,
    ready,
    checks: Object.fromEntries(details.map(([name, { status }]) => [name, status])),
    ...(Object.keys(reasons).length > 0 ? { reasons } : {}),
  };
}
