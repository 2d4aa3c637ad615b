export * from './messages/envelope';
export * from './messages/replication-messages';
export * from './messages/routing-keys';
export * from './messages/message-schemas';
export * from './http/snapshot-dtos';
export * from './http/error-body';
