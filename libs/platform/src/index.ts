export * from './config';
export * from './logger';
export * from './nest-logger';
export * from './ensure-database';
export * from './metrics';
export * from './health';
export * from './http/public-route';
