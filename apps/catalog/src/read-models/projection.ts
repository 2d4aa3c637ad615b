import type { SqlExecutor } from '@snapferry/event-store';

/** The subscription that projects the log into every read model (its checkpoint's name). */
export const readModelsSubscription = 'read-models';

export interface ProjectedEvent {
  type: string;
  data: unknown;
}

/** A read model: how a batch of events changes it (in the batch's transaction), and how it is emptied for a rebuild. */
export interface Projection {
  name: string;
  handle(events: ProjectedEvent[], tx: SqlExecutor): Promise<void>;
  clear(tx: SqlExecutor): Promise<void>;
}
