import { backoffDelay } from './connection-manager';
import {
  CATALOG_PROGRESS_BINDINGS,
  cancelRoutingKey,
  catalogEventRoutingKey,
  progressRoutingKey,
  replicatorDeadLetteredQueue,
  replicatorQueue,
  requestRoutingKey,
} from './topology';
import { InvalidEnvelopeError, parseEnvelope } from './envelope';

describe('routing keys and names', () => {
  it('builds the product routing keys', () => {
    expect(requestRoutingKey('ap-guangzhou')).toBe('replication.requested.ap-guangzhou');
    expect(cancelRoutingKey('ap-guangzhou')).toBe('replication.cancel.ap-guangzhou');
    expect(progressRoutingKey('ReplicationProgressed', 'eu-frankfurt')).toBe(
      'replication.progressed.eu-frankfurt',
    );
    expect(progressRoutingKey('ReplicationCancelled', 'eu-frankfurt')).toBe(
      'replication.cancelled.eu-frankfurt',
    );
    expect(catalogEventRoutingKey('SnapshotRegistered', 'ap-shanghai')).toBe(
      'SnapshotRegistered.ap-shanghai',
    );
    expect(replicatorQueue('ap-shanghai-fsi')).toBe('snapferry.replicator.ap-shanghai-fsi');
    expect(replicatorDeadLetteredQueue('ap-shanghai-fsi')).toBe(
      'snapferry.replicator.ap-shanghai-fsi.dead-lettered',
    );
    expect(CATALOG_PROGRESS_BINDINGS).toEqual([
      'replication.started.*',
      'replication.progressed.*',
      'replication.verifying.*',
      'replication.completed.*',
      'replication.failed.*',
      'replication.cancelled.*',
    ]);
  });

  it('refuses regions that would change the routing', () => {
    for (const bad of ['', 'a.b', '#', 'eu*', 'a b'])
      expect(() => requestRoutingKey(bad)).toThrow(/invalid region/);
    expect(() => catalogEventRoutingKey('Snapshot.Registered', 'x')).toThrow(/invalid event type/);
  });
});

describe('backoffDelay', () => {
  it('grows exponentially and stays under the cap, jitter included', () => {
    const options = { initialDelayMs: 100, maxDelayMs: 2000, factor: 2 };
    expect(backoffDelay(1, options, () => 0.5)).toBe(100);
    expect(backoffDelay(3, options, () => 0.5)).toBe(400);
    for (let attempt = 1; attempt < 40; attempt++) {
      expect(backoffDelay(attempt, options, () => 1)).toBeLessThanOrEqual(2000);
      expect(backoffDelay(attempt, options, () => 0)).toBeGreaterThanOrEqual(80);
    }
  });
});

describe('parseEnvelope', () => {
  const valid = {
    eventId: 'e1',
    type: 'T',
    version: 1,
    occurredAt: '2024-01-01T00:00:00Z',
    correlationId: 'c',
    data: { a: 1 },
  };
  it('accepts a complete envelope', () => {
    expect(parseEnvelope(Buffer.from(JSON.stringify(valid)))).toEqual(valid);
  });
  it.each([
    ['not json', '{oops'],
    ['an array', '[]'],
    ['no eventId', JSON.stringify({ ...valid, eventId: undefined })],
    ['a string version', JSON.stringify({ ...valid, version: '1' })],
    ['no data', JSON.stringify({ ...valid, data: undefined })],
  ])('rejects %s', (_what, body) => {
    expect(() => parseEnvelope(Buffer.from(body))).toThrow(InvalidEnvelopeError);
  });
});
