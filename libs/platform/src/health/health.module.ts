import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { HealthController } from './health.controller';
import { DependencyIndicators, type HealthChecks } from './health-indicators';
import { HEALTH_CHECKS, HEALTH_LOGGER, HEALTH_METRICS } from './health-tokens';

/**
 * `/health` (readiness: database and broker, through @nestjs/terminus), `/health/live` and
 * `/metrics`, the same in both services:
 * `imports: [HealthModule.register({ checks, metrics, logger })]`.
 * `checks` is the checks themselves or an injectable class that makes them from the
 * service's (global) connection providers.
 */
@Module({})
export class HealthModule {
  static register(options: {
    checks: HealthChecks | Type<HealthChecks>;
    metrics: Registry;
    logger: Logger;
  }): DynamicModule {
    const { checks } = options;
    return {
      module: HealthModule,
      // terminus's own log stays off: DependencyIndicators logs a check going down (with why) and up.
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [
        typeof checks === 'function'
          ? { provide: HEALTH_CHECKS, useClass: checks }
          : { provide: HEALTH_CHECKS, useValue: checks },
        { provide: HEALTH_METRICS, useValue: options.metrics },
        { provide: HEALTH_LOGGER, useValue: options.logger },
        DependencyIndicators,
      ],
    };
  }
}
