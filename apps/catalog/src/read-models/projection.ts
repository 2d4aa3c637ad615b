import type { Sql } from '@snapferry/event-store';

/** The subscription that projects the log into every read model (its checkpoint's name). */
export const readModelsSubscription = 'read-models';

export interface ProjectedEvent {
  type: string;
  data: unknown;
}

/** A read model: which tables it owns (cleared on rebuild) and how a batch of events changes them. */
export interface Projection {
  name: string;
  tables: string[];
  handle(events: ProjectedEvent[], sql: Sql): Promise<void>;
}
