import { Inject, Injectable } from '@nestjs/common';
import { Gauge, type Registry } from 'prom-client';
import { PostgresEventStore } from '@snapferry/event-store';
import { METRICS } from '../tokens';

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
        const rows = await store.query<{ state: string; n: string }>(
          `SELECT doc->>'state' AS state, count(*) AS n FROM replication_view GROUP BY 1`,
        );
        for (const row of rows) this.set({ state: row.state }, Number(row.n));
      },
    });
  }
}
