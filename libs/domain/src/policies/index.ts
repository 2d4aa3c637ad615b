export * from './policy-definition';
export * from './policy-events';
export * from './parse-policy';
export * from './policy';
export * from './policy-selection';
export * from './copy-plan';
export * from './retention';
export * from './recovery-point';
