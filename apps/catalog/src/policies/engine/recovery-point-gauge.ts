import { Inject, Injectable } from '@nestjs/common';
import { Gauge, type Registry } from 'prom-client';
import { PostgresEventStore } from '@snapferry/event-store';
import { METRICS } from '../../tokens';
import { policyEngineRepository } from './policy-engine.repository';

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
        const ages = await policyEngineRepository.recoveryPointAges(store);
        this.reset();
        for (const a of ages)
          this.set(
            { policy: a.policyId, disk: a.diskId, region: a.region },
            Math.max(0, a.ageSeconds),
          );
      },
    });
  }
}
