import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';

/** What readiness depends on: each resolves true when it answers (a rejection counts as down). */
export interface HealthChecks {
  /** The service's PostgreSQL database answers a query. */
  database: () => Promise<boolean>;
  /** The broker connection and the publisher's confirm channel are open. */
  broker: () => Promise<boolean>;
}

export const HEALTH_CHECKS = Symbol('HEALTH_CHECKS');

/** The database and broker as terminus health indicators. */
@Injectable()
export class DependencyIndicators {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(HEALTH_CHECKS) private readonly checks: HealthChecks,
  ) {}

  database = () => this.indicate('database', this.checks.database);
  broker = () => this.indicate('broker', this.checks.broker);

  private async indicate<const Key extends string>(key: Key, isUp: () => Promise<boolean>) {
    const session = this.indicators.check(key);
    return (await isUp().catch(() => false)) ? session.up() : session.down();
  }
}
