import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type { Registry } from 'prom-client';
import { HEALTH_METRICS, HealthController } from './health.controller';
import { DependencyIndicators, HEALTH_CHECKS, type HealthChecks } from './health-indicators';

/**
 * `/health` (readiness: database and broker, through @nestjs/terminus), `/health/live` and
 * `/metrics`, the same in both services: `imports: [HealthModule.register({ checks, metrics })]`.
 */
@Module({})
export class HealthModule {
  static register(options: { checks: HealthChecks; metrics: Registry }): DynamicModule {
    return {
      module: HealthModule,
      // A failing probe is no log line: the connections log their own losses and returns.
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [
        { provide: HEALTH_CHECKS, useValue: options.checks },
        { provide: HEALTH_METRICS, useValue: options.metrics },
        DependencyIndicators,
      ],
    };
  }
}
