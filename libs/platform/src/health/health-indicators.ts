import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { redactCredentials } from '../logger';
import { HEALTH_CHECKS, HEALTH_LOGGER, HEALTH_METRICS } from './health-tokens';

/**
 * What readiness depends on: each resolves true when it answers. A check that is down should
 * throw an error saying why (its message is the reason `/health` and the log give); false
 * counts as down for an unnamed reason.
 */
export interface HealthChecks {
  /** The service's PostgreSQL database answers a query. */
  database: () => Promise<boolean>;
  /** The broker connection and the publisher's confirm channel are open. */
  broker: () => Promise<boolean>;
}

/** Why a check is down, fit for an unauthenticated answer and the log (no password). */
export function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message || error.name : String(error);
  return redactCredentials(message);
}

/**
 * The database and broker as terminus health indicators. A check that fails says why (in
 * `/health` and the log) and counts in `snapferry_health_check_failures_total{check}`; the log
 * says when a check goes down or its reason changes, and when it is up again, not at every probe.
 */
@Injectable()
export class DependencyIndicators {
  private readonly failures: Counter;
  /** The reason each check that is down was last logged with. */
  private readonly down = new Map<string, string>();

  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(HEALTH_CHECKS) private readonly checks: HealthChecks,
    @Inject(HEALTH_METRICS) metrics: Registry,
    @Inject(HEALTH_LOGGER) private readonly logger: Logger,
  ) {
    this.failures = new Counter({
      name: 'snapferry_health_check_failures_total',
      help: 'Readiness checks that failed, by check (database, broker); /health and the log say why',
      labelNames: ['check'],
      registers: [metrics],
    });
  }

  database = () => this.indicate('database', this.checks.database);
  broker = () => this.indicate('broker', this.checks.broker);

  private async indicate<const Key extends string>(key: Key, isUp: () => Promise<boolean>) {
    const session = this.indicators.check(key);
    const reason = await isUp().then(
      (up) => (up ? undefined : 'the check answered not ready'),
      reasonOf,
    );
    if (reason === undefined) {
      if (this.down.delete(key)) this.logger.info({ check: key }, 'readiness check passes again');
      return session.up();
    }
    this.failures.inc({ check: key });
    if (this.down.get(key) !== reason) {
      this.down.set(key, reason);
      this.logger.warn({ check: key, reason }, 'readiness check failed');
    }
    return session.down({ reason });
  }
}
