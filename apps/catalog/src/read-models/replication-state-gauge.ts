import { Inject, Injectable } from '@nestjs/common';
import { Gauge, type Registry } from 'prom-client';
import { PostgresEventStore } from '@snapferry/event-store';
import { METRICS } from '../tokens';
import { replicationViewsRepository } from './replication-views.repository';

/** `snapferry_replications{state}`: counted from the replication view when Prometheus scrapes. */
@Injectable()
export class ReplicationStateGauge {
  constructor(store: PostgresEventStore, @Inject(METRICS) metrics: Registry) {
    new Gauge({
      name: 'snapferry_replications',
      help: 'Replications by state (from the replication view)',
      labelNames: ['state'],
      registers: [metrics],
      async collect() {
        this.reset();
        for (const { state, count } of await replicationViewsRepository.countByState(store))
          this.set({ state }, count);
      },
    });
  }
}
