export * from './config';
export * from './logger';
export * from './ensure-database';
export * from './metrics';
export * from './health';
export * from './request-log';
export * from './https';
export * from './pause';
