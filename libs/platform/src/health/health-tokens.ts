/** What the health module is given: the checks, the metrics registry, the logger. */
export const HEALTH_CHECKS = Symbol('HEALTH_CHECKS');
export const HEALTH_METRICS = Symbol('HEALTH_METRICS');
export const HEALTH_LOGGER = Symbol('HEALTH_LOGGER');
