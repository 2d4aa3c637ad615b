import { Inject, Injectable } from '@nestjs/common';
import { Gauge, type Registry } from 'prom-client';
import { PostgresEventStore } from '@snapferry/event-store';
import { METRICS } from '../../tokens';

/**
 * `snapferry_recovery_point_age_seconds{policy,disk,region}`: the age of each selected disk's
 * newest NORMAL copy in each destination, read from the policy engine's targets when
 * Prometheus scrapes (a disk with no copy yet has no series).
 */
@Injectable()
export class RecoveryPointGauge {
  constructor(store: PostgresEventStore, @Inject(METRICS) metrics: Registry) {
    new Gauge({
      name: 'snapferry_recovery_point_age_seconds',
      help: "Age of the newest NORMAL copy of a policy's disk in a destination region",
      labelNames: ['policy', 'disk', 'region'],
      registers: [metrics],
      async collect() {
        const rows = await store.query<{
          policy_id: string;
          disk_id: string;
          region: string;
          age: number;
        }>(
          `SELECT policy_id, disk_id, region, extract(epoch FROM now() - recovers_to)::float8 AS age
           FROM policy_targets WHERE recovers_to IS NOT NULL`,
        );
        this.reset();
        for (const r of rows)
          this.set({ policy: r.policy_id, disk: r.disk_id, region: r.region }, Math.max(0, r.age));
      },
    });
  }
}
