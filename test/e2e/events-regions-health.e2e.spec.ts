import SwaggerParser from '@apidevtools/swagger-parser';
import { waitFor } from '@snapferry/testing';
import {
  keys,
  normalSnapshot,
  startTestCatalog,
  type TestCatalog,
} from '../support/catalog-harness';
import { allEvents, expectError, registration } from '../support/e2e-helpers';

interface SseEvent {
  id?: string;
  event?: string;
  data?: any;
}

/** Follows an SSE response: `next(n)` resolves with the next n events as they arrive. */
async function follow(url: string, key: string, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${key}`, ...headers },
    signal: abort.signal,
  });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const queue: SseEvent[] = [];
  let pulling: Promise<void> | undefined;
  const pull = async (): Promise<void> => {
    const { value, done } = await reader.read();
    if (done) throw new Error('the stream ended');
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event: SseEvent = {};
      for (const line of frame.split('\n')) {
        if (line.startsWith(':')) continue; // comment / keep-alive
        const at = line.indexOf(':');
        const [field, value] = [line.slice(0, at), line.slice(at + 1).trimStart()];
        if (field === 'id') event.id = value;
        if (field === 'event') event.event = value;
        if (field === 'data') event.data = JSON.parse(value);
      }
      if (event.data) queue.push(event);
    }
  };
  return {
    response,
    async next(count: number, timeoutMs = 5_000): Promise<SseEvent[]> {
      const deadline = Date.now() + timeoutMs;
      while (queue.length < count) {
        if (Date.now() > deadline)
          throw new Error(`only ${queue.length} of ${count} events arrived`);
        pulling ??= pull().finally(() => (pulling = undefined));
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          pulling,
          new Promise((r) => (timer = setTimeout(r, deadline - Date.now()))),
        ]);
        clearTimeout(timer);
      }
      return queue.splice(0, count);
    },
    /** Events that arrived but were not taken yet. */
    pending: () => queue.length,
    close: () => {
      pulling?.catch(() => undefined);
      abort.abort();
    },
  };
}

/** The event log (paged and live), the region catalog, beta as a user, health, metrics and docs. */
describe('events, regions, accounts and operations', () => {
  let t: TestCatalog;
  const aliceIds: string[] = [];
  let bobId: string;
  beforeAll(async () => {
    t = await startTestCatalog();
    for (let i = 0; i < 3; i++)
      aliceIds.push(
        (await t.api.as(keys.alice).post('/v1/snapshots', registration())).body.snapshotId,
      );
    bobId = (
      await t.api.as(keys.bob).post('/v1/snapshots', registration({ region: 'ap-shanghai' }))
    ).body.snapshotId;
    await t.api.as(keys.alice).patch(`/v1/snapshots/${aliceIds[0]}`, { name: 'renamed' });
  });
  afterAll(() => t?.stop());

  describe('GET /v1/events', () => {
    it('shows the operator every account’s events in global order, in the documented shape', async () => {
      const page = await t.api.as(keys.operator).get('/v1/events');
      expect(page.status).toBe(200);
      const events = page.body.events;
      expect(events.map((e: any) => e.type)).toEqual([
        'SnapshotRegistered',
        'SnapshotRegistered',
        'SnapshotRegistered',
        'SnapshotRegistered',
        'SnapshotRenamed',
      ]);
      expect(events[0]).toEqual(
        expect.objectContaining({
          globalPosition: expect.stringMatching(/^\d+$/),
          eventId: expect.any(String),
          streamId: `snapshot-${aliceIds[0]}`,
          streamPosition: 1,
          type: 'SnapshotRegistered',
          version: expect.any(Number),
          data: expect.objectContaining({
            snapshotId: aliceIds[0],
            accountId: 'alice',
            region: 'ap-guangzhou',
          }),
          metadata: expect.objectContaining({
            accountId: 'alice',
            correlationId: expect.any(String),
          }),
          recordedAt: expect.any(String),
        }),
      );
      expect(events.map((e: any) => e.data.snapshotId)).toEqual([...aliceIds, bobId, aliceIds[0]]);
      expect(page.body.next).toBe(events[events.length - 1].globalPosition);
    });

    it('pages with after and limit, and the pages add up to the whole log', async () => {
      const ops = t.api.as(keys.operator);
      const whole = (await ops.get('/v1/events')).body.events;
      const collected: any[] = [];
      let after = '0';
      for (;;) {
        const page = await ops.get(`/v1/events?after=${after}&limit=2`);
        expect(page.body.events.length).toBeLessThanOrEqual(2);
        if (page.body.events.length === 0) {
          expect(page.body.next).toBe(after); // the end: stay where you are
          break;
        }
        collected.push(...page.body.events);
        after = page.body.next;
      }
      expect(collected).toEqual(whole);
      const beyond = await ops.get('/v1/events?after=999999999');
      expect(beyond.body.events).toEqual([]);
    });

    it('filters by type and by streamId', async () => {
      const ops = t.api.as(keys.operator);
      const renamed = await ops.get('/v1/events?type=SnapshotRenamed');
      expect(renamed.body.events.map((e: any) => [e.type, e.data.snapshotId])).toEqual([
        ['SnapshotRenamed', aliceIds[0]],
      ]);
      const stream = await ops.get(`/v1/events?streamId=snapshot-${aliceIds[0]}`);
      expect(stream.body.events.map((e: any) => [e.streamPosition, e.type])).toEqual([
        [1, 'SnapshotRegistered'],
        [2, 'SnapshotRenamed'],
      ]);
      expect((await ops.get('/v1/events?type=NoSuchEvent')).body.events).toEqual([]);
      const both = await ops.get(
        `/v1/events?streamId=snapshot-${aliceIds[0]}&type=SnapshotRegistered&limit=1`,
      );
      expect(both.body.events).toHaveLength(1);
    });

    it('shows a user only their own account’s events', async () => {
      const alice = (await t.api.as(keys.alice).get('/v1/events')).body.events;
      expect(alice.length).toBe(4);
      expect(alice.every((e: any) => e.metadata.accountId === 'alice')).toBe(true);
      const bob = (await t.api.as(keys.bob).get('/v1/events')).body.events;
      expect(bob.map((e: any) => e.data.snapshotId)).toEqual([bobId]);
      expect(
        (await t.api.as(keys.bob).get(`/v1/events?streamId=snapshot-${aliceIds[0]}`)).body.events,
      ).toEqual([]);
      expectError(await t.api.as().get('/v1/events'), 401);
    });
  });

  describe('GET /v1/events/stream', () => {
    it('sends the log so far, then new events live, and resumes after a position', async () => {
      const sse = await follow(`${t.url}/v1/events/stream`, keys.alice);
      try {
        expect(sse.response.status).toBe(200);
        expect(sse.response.headers.get('content-type')).toContain('text/event-stream');
        const first = await sse.next(4);
        expect(first.map((e) => e.event)).toEqual([
          'SnapshotRegistered',
          'SnapshotRegistered',
          'SnapshotRegistered',
          'SnapshotRenamed',
        ]);
        for (const e of first) expect(e.id).toBe(e.data.globalPosition);

        // Live: an append shows up on the open stream; bob's does not.
        await t.api.as(keys.bob).post('/v1/snapshots', registration({ region: 'ap-shanghai' }));
        const created = (
          await t.api.as(keys.alice).post('/v1/snapshots', registration({ region: 'ap-singapore' }))
        ).body.snapshotId;
        const [live] = await sse.next(1);
        expect(live).toEqual(
          expect.objectContaining({
            event: 'SnapshotRegistered',
            data: expect.objectContaining({
              data: expect.objectContaining({ snapshotId: created }),
            }),
          }),
        );
        expect(sse.pending()).toBe(0);
      } finally {
        sse.close();
      }

      const all = (await t.api.as(keys.alice).get('/v1/events')).body.events;
      const resumed = await follow(
        `${t.url}/v1/events/stream?after=${all[2].globalPosition}`,
        keys.alice,
      );
      try {
        expect((await resumed.next(2)).map((e) => e.data.eventId)).toEqual([
          all[3].eventId,
          all[4].eventId,
        ]);
      } finally {
        resumed.close();
      }
      const byHeader = await follow(`${t.url}/v1/events/stream`, keys.alice, {
        'last-event-id': all[3].globalPosition,
      });
      try {
        expect((await byHeader.next(1)).map((e) => e.data.eventId)).toEqual([all[4].eventId]);
      } finally {
        byHeader.close();
      }
    });

    it('filters the stream by type and refuses bad parameters', async () => {
      const sse = await follow(`${t.url}/v1/events/stream?type=SnapshotRenamed`, keys.operator);
      try {
        expect((await sse.next(1)).map((e) => e.data.data.snapshotId)).toEqual([aliceIds[0]]);
      } finally {
        sse.close();
      }
      expectError(await t.api.as(keys.alice).get('/v1/events/stream?after=-5'), 400);
      expectError(await t.api.as().get('/v1/events/stream'), 401);
    });
  });

  describe('GET /v1/regions', () => {
    it('lists the default catalog with finance flags and this account’s use', async () => {
      const answer = await t.api.as(keys.alice).get('/v1/regions');
      expect(answer.status).toBe(200);
      const regions = new Map<string, any>(answer.body.regions.map((r: any) => [r.id, r]));
      for (const id of [
        'ap-guangzhou',
        'ap-shanghai',
        'ap-singapore',
        'eu-frankfurt',
        'na-siliconvalley',
        'ap-shanghai-fsi',
        'ap-shenzhen-fsi',
      ])
        expect(regions.has(id)).toBe(true);
      expect(regions.get('ap-shenzhen-fsi')).toEqual(
        expect.objectContaining({
          finance: true,
          name: expect.any(String),
          geography: expect.any(String),
        }),
      );
      expect(regions.get('ap-shanghai-fsi').finance).toBe(true);
      expect(regions.get('ap-guangzhou').finance).toBe(false);
      expect(regions.get('ap-guangzhou').snapshotQuota).toEqual(expect.any(Number));
      expect(regions.get('ap-guangzhou').snapshotsUsed).toBe(3);
      expect(regions.get('ap-guangzhou').chunkSize).toBe(64 * 1024); // the harness's SNAPFERRY_CHUNK_SIZE
      expect(regions.get('ap-singapore').snapshotsUsed).toBe(1);
      expect(regions.get('ap-shanghai').snapshotsUsed).toBe(0); // bob's, not alice's
      expect(answer.body.geoRestrictions).toEqual(
        expect.arrayContaining([{ from: 'mainland-china', to: 'north-america' }]),
      );

      const bob = new Map<string, any>(
        (await t.api.as(keys.bob).get('/v1/regions')).body.regions.map((r: any) => [r.id, r]),
      );
      expect(bob.get('ap-shanghai').snapshotsUsed).toBe(2);
      expect(bob.get('ap-guangzhou').snapshotsUsed).toBe(0);

      await t.api.as(keys.alice).delete(`/v1/snapshots/${aliceIds[2]}`);
      const after = (await t.api.as(keys.alice).get('/v1/regions')).body.regions.find(
        (r: any) => r.id === 'ap-guangzhou',
      );
      expect(after.snapshotsUsed).toBe(2);
    });
  });

  describe('beta as a user', () => {
    it('refuses PUT and DELETE with 403 OperatorOnly and writes nothing', async () => {
      const before = (await allEvents(t)).length;
      expectError(
        await t.api.as(keys.alice).put('/v1/accounts/alice/beta'),
        403,
        'UnauthorizedOperation.OperatorOnly',
      );
      expectError(
        await t.api.as(keys.alice).delete('/v1/accounts/alice/beta'),
        403,
        'UnauthorizedOperation.OperatorOnly',
      );
      expectError(
        await t.api.as(keys.bob).put('/v1/accounts/alice/beta'),
        403,
        'UnauthorizedOperation.OperatorOnly',
      );
      expectError(await t.api.as().put('/v1/accounts/alice/beta'), 401);
      expect((await allEvents(t)).length).toBe(before);
    });
  });

  describe('POST /v1/admin/projections/rebuild', () => {
    it('is for operators only', async () => {
      expectError(
        await t.api.as(keys.alice).post('/v1/admin/projections/rebuild'),
        403,
        'UnauthorizedOperation.OperatorOnly',
      );
    });

    it('rebuilds the status views from the log to the same state', async () => {
      const alice = t.api.as(keys.alice);
      expect((await t.api.as(keys.operator).put('/v1/accounts/alice/beta')).status).toBe(200);
      const source = await normalSnapshot(t.api, keys.alice, {
        region: 'ap-guangzhou',
        diskId: 'disk-rebuild1',
      });
      const copied = await alice.post(`/v1/snapshots/${source}/copies`, {
        destinationRegions: ['ap-shanghai', 'ap-beijing'],
      });
      expect(copied.status).toBe(202);
      await alice.delete(`/v1/snapshots/${copied.body.results[1].snapshotId}`); // cancels the copy to ap-beijing
      await alice.patch(`/v1/snapshots/${source}`, { name: 'before the rebuild' });
      const views = async () => ({
        lists: await Promise.all(
          ['ap-guangzhou', 'ap-shanghai', 'ap-beijing', 'ap-singapore'].map(
            async (r) => (await alice.get(`/v1/snapshots?region=${r}&limit=100`)).body,
          ),
        ),
        source: (await alice.get(`/v1/snapshots/${source}`)).body,
        replications: (await alice.get('/v1/replications?limit=100')).body,
        bob: (await t.api.as(keys.bob).get('/v1/snapshots?region=ap-shanghai')).body,
      });
      const before = await views();
      expect(before.source.copyingToRegions.length).toBeGreaterThan(0);
      expect(before.replications.replications.length).toBe(2);

      const rebuilt = await t.api.as(keys.operator).post('/v1/admin/projections/rebuild');
      expect(rebuilt.status).toBe(202);
      await waitFor(async () => JSON.stringify(await views()) === JSON.stringify(before), {
        timeoutMs: 15_000,
        what: 'the rebuilt views',
      });
    });
  });

  describe('operations', () => {
    it('answers /health without a key', async () => {
      const health = await t.api.as().get('/health');
      expect(health.status).toBe(200);
      expect(health.body).toEqual(
        expect.objectContaining({
          status: 'ok',
          ready: true,
          checks: expect.objectContaining({ database: 'up' }),
        }),
      );
      expect((await t.api.as().get('/health/live')).status).toBe(200);
    });

    it('serves Prometheus metrics', async () => {
      const metrics = await t.api.as().get('/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toContain('text/plain');
      const text = metrics.body.toString();
      expect(text).toMatch(/^# HELP /m);
      expect(text).toContain('snapferry_http_requests_total');
      expect(text).toContain('snapferry_projection_position');
      expect(text).toMatch(
        /snapferry_http_requests_total\{[^}]*route="\/v1\/snapshots"[^}]*\} \d+/,
      );
    });

    it('serves the OpenAPI document and the docs page', async () => {
      const doc = await t.api.as().get('/openapi.json');
      expect(doc.status).toBe(200);
      expect(doc.body.openapi).toMatch(/^3\./);
      expect(doc.body.info).toEqual(
        expect.objectContaining({ title: expect.any(String), version: '1' }),
      );
      const paths = Object.keys(doc.body.paths);
      for (const path of [
        '/v1/snapshots',
        '/v1/snapshots/{id}',
        '/v1/snapshots/{id}/data',
        '/v1/snapshots/{id}/data/manifest',
        '/v1/snapshots/{id}/data/chunks/{digest}',
        '/v1/snapshots/{id}/data/changes',
        '/v1/snapshots/{id}/copies',
        '/v1/replications',
        '/v1/replications/{id}',
        '/v1/regions',
        '/v1/events',
        '/v1/events/stream',
        '/v1/accounts/{id}/beta',
        '/v1/admin/regions/{region}/scrub',
        '/v1/policies',
        '/v1/policies/{id}',
        '/v1/policies/{id}/preview',
        '/v1/policies/{id}/status',
        '/health',
        '/metrics',
      ])
        expect(paths).toContain(path);
      expect(Object.keys(doc.body.paths['/v1/snapshots'])).toEqual(
        expect.arrayContaining(['get', 'post']),
      );
      expect(doc.body.components.securitySchemes).toEqual(
        expect.objectContaining({ bearer: expect.objectContaining({ scheme: 'bearer' }) }),
      );
      const copyBody =
        doc.body.paths['/v1/snapshots/{id}/copies'].post.requestBody.content['application/json']
          .schema;
      expect(JSON.stringify(copyBody)).toContain('RequestCopiesRequest');
      // Both upload paths: the chunk upload answers 201 (stored) or 200 (already there).
      const chunkPut = doc.body.paths['/v1/snapshots/{id}/data/chunks/{digest}'].put;
      expect(Object.keys(chunkPut.responses)).toEqual(
        expect.arrayContaining(['200', '201', '507']),
      );
      expect(
        doc.body.paths['/v1/snapshots/{id}/data/manifest'].post.requestBody.content[
          'application/json'
        ].schema,
      ).toEqual({ $ref: '#/components/schemas/UploadManifestRequest' });

      // Changed-block snapshots: the base on the registration, the change stream's answer.
      expect(doc.body.components.schemas.RegisterSnapshotRequest.properties).toHaveProperty(
        'baseSnapshotId',
      );
      const changes = doc.body.paths['/v1/snapshots/{id}/data/changes'].post;
      expect(changes.requestBody.content).toHaveProperty('application/octet-stream');
      expect(changes.responses['200'].content['application/json'].schema).toEqual({
        $ref: '#/components/schemas/ChangesStoredResponse',
      });
      expect(doc.body.components.schemas.SnapshotResponse.properties).toHaveProperty('root');

      // The policies: every verb, the status and preview answers with their schemas.
      expect(Object.keys(doc.body.paths['/v1/policies/{id}'])).toEqual(
        expect.arrayContaining(['get', 'patch', 'delete']),
      );
      for (const [path, schema] of [
        ['/v1/policies/{id}/status', 'PolicyStatusResponse'],
        ['/v1/policies/{id}/preview', 'PolicyPreviewResponse'],
      ] as const)
        expect(
          doc.body.paths[path].get.responses['200'].content['application/json'].schema,
        ).toEqual({ $ref: `#/components/schemas/${schema}` });
      expect(
        doc.body.paths['/v1/policies'].post.requestBody.content['application/json'].schema,
      ).toEqual({ $ref: '#/components/schemas/CreatePolicyRequest' });
      expect(doc.body.components.schemas.RecoveryPointResponse.properties.state.enum).toEqual([
        'OK',
        'AT_RISK',
        'BREACHED',
        'NONE',
      ]);

      // The document is valid OpenAPI 3 (schema and $refs), as a validator sees it.
      await expect(SwaggerParser.validate(structuredClone(doc.body))).resolves.toBeDefined();

      // Every operation documents its success answer with a schema (a 204 has no body), and
      // every keyed one its errors as {"error": {code, message, requestId}}.
      const undocumented: string[] = [];
      const withoutErrors: string[] = [];
      for (const [path, operations] of Object.entries<Record<string, any>>(doc.body.paths))
        for (const [method, operation] of Object.entries<any>(operations)) {
          const name = `${method.toUpperCase()} ${path}`;
          const success = Object.keys(operation.responses).filter((s) => /^2\d\d$/.test(s));
          if (success.length === 0) undocumented.push(`${name}: no success status`);
          for (const status of success.filter((s) => s !== '204'))
            if (
              !Object.values<any>(operation.responses[status].content ?? {}).some((c) => c.schema)
            )
              undocumented.push(`${name} ${status}`);
          if (
            path.startsWith('/v1/') &&
            !JSON.stringify(operation.responses['401']).includes('ErrorBody')
          )
            withoutErrors.push(name);
        }
      expect(undocumented).toEqual([]);
      expect(withoutErrors).toEqual([]);
      expect(doc.body.paths['/v1/snapshots/{id}'].get.responses['200'].content).toEqual({
        'application/json': { schema: { $ref: '#/components/schemas/SnapshotResponse' } },
      });
      expect(doc.body.components.schemas.ReplicationResponse.required).toEqual(
        expect.arrayContaining(['replicationId', 'state', 'percent', 'bytesCopied']),
      );

      const docs = await fetch(`${t.url}/docs`);
      expect(docs.status).toBe(200);
      expect(docs.headers.get('content-type')).toContain('text/html');
      expect(await docs.text()).toMatch(/swagger/i);
    });
  });
});
