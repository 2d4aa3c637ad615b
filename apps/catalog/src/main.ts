import 'reflect-metadata';
import { runService } from '@snapferry/platform';
import { startCatalog } from './start-catalog';

/** `npm run start:catalog`: the HTTP API, outbox relay, projections and progress consumer. */
runService('catalog', () => startCatalog());
