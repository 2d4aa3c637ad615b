export * from './test-database';
export * from './test-broker';
export * from './unique-name';
export * from './wait-for';
export * from './rabbitmqctl';
export * from './private-broker';
export * from './broker-probe';
