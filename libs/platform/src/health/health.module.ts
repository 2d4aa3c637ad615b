import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type { Registry } from 'prom-client';
import { HEALTH_METRICS, HealthController } from './health.controller';
import { DependencyIndicators, HEALTH_CHECKS, type HealthChecks } from './health-indicators';

/**
 * `/health` (readiness: database and broker, through @nestjs/terminus), `/health/live` and
 * `/metrics`, the same in both services: `imports: [HealthModule.register({ checks, metrics })]`.
 * `checks` is the checks themselves or an injectable class that makes them from the
 * service's (global) connection providers.
 */
@Module({})
export class HealthModule {
  static register(options: {
    checks: HealthChecks | Type<HealthChecks>;
    metrics: Registry;
  }): DynamicModule {
    const { checks } = options;
    return {
      module: HealthModule,
      // A failing probe is no log line: the connections log their own losses and returns.
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [
        typeof checks === 'function'
          ? { provide: HEALTH_CHECKS, useClass: checks }
          : { provide: HEALTH_CHECKS, useValue: checks },
        { provide: HEALTH_METRICS, useValue: options.metrics },
        DependencyIndicators,
      ],
    };
  }
}
