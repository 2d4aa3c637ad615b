/** Injection tokens for plain values. */
export const REGION_CATALOG = Symbol('REGION_CATALOG');
export const CONFIG = Symbol('CONFIG');
export const LOGGER = Symbol('LOGGER');
export const METRICS = Symbol('METRICS');
