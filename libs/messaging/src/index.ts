export * from './logger';
export * from './envelope';
export * from './connection-manager';
export * from './topology';
export * from './confirm-publisher';
export * from './amqp-consumer';
export * from './amqp-transport';
