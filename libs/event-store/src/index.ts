export * from './types';
export * from './checkpoint';
export * from './errors';
export { EventStoreSchema1760000000000, eventStoreMigrations } from './migrations';
export {
  createEventStoreDataSource,
  type EventStoreDataSourceOptions,
  type MigrationClass,
} from './data-source';
export { notificationChannel } from './append';
export type {
  ReadStreamOptions,
  ReadAllOptions,
  ReadAllResult,
  ReadAllByPositionOptions,
  ReadAllByPositionResult,
} from './read';
export {
  PostgresEventStore,
  EventStoreTransaction,
  type EventStoreOptions,
  type SqlExecutor,
} from './event-store';
export type { Sql, SqlResult } from './sql';
export {
  processSubscriptionBatch,
  resetSubscription,
  lockSubscription,
  readSubscriptionStatus,
  CheckpointsRepository,
  type SubscriptionHandler,
  type SubscriptionBatchOptions,
  type SubscriptionBatchOutcome,
  type SubscriptionStatus,
} from './subscriptions';
export {
  runSubscription,
  SubscriptionRunner,
  type RunSubscriptionOptions,
  type SubscriptionPacing,
  type SubscriptionRunnerOptions,
  type SubscriptionFailure,
} from './subscription-runner';
export {
  EventNotifications,
  type EventNotification,
  type EventNotificationsOptions,
} from './notifications';
export { tryAcquireLeadership, acquireLeadership, type Leadership } from './leadership';
export { CatchUpSignal } from './catch-up-signal';
