export { HealthModule } from './health.module';
export { HealthController, toHealthResponse } from './health.controller';
export type { HealthChecks } from './health-indicators';
export { brokerReady } from './broker-ready';
