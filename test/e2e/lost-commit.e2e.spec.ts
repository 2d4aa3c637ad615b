import { randomBytes } from 'node:crypto';
import { access } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type CommitCut,
  type PostgresCommitCutProxy,
  startPostgresCommitCutProxy,
  waitFor,
} from '@snapferry/testing';
import { keys, startTestCatalog, type TestCatalog } from '../support/catalog-harness';
import { allEvents, expectError, registration } from '../support/e2e-helpers';

/** Longer than the event store's 10 s of asking whether a lost COMMIT took. */
const unreachableMs = 12_000;

/**
 * The catalog reaches PostgreSQL through a proxy that cuts the connection of the upload's
 * last transaction (the one appending SnapshotDataStored) around its COMMIT: the catalog
 * never hears whether it took. Nothing accepted may be lost, and no data a NORMAL snapshot
 * refers to may be deleted.
 */
describe('an upload whose COMMIT got no answer', () => {
  let t: TestCatalog;
  let proxy: PostgresCommitCutProxy;
  beforeAll(async () => {
    t = await startTestCatalog(
      { LOG_LEVEL: 'fatal' }, // the cut connections are logged, on purpose
      {
        databaseVia: async (url) => {
          const { hostname, port } = new URL(url);
          proxy = await startPostgresCommitCutProxy({
            target: { host: hostname, port: Number(port) },
          });
          return proxy.url(url);
        },
      },
    );
  });
  afterAll(async () => {
    await t?.stop();
    await proxy?.close();
  });
  const alice = () => t.api.as(keys.alice);
  const manifestFile = (id: string) => join(t.dataDir, 'ap-guangzhou', 'manifests', `${id}.json`);
  const hasManifest = (id: string) =>
    access(manifestFile(id)).then(
      () => true,
      () => false,
    );

  const register = async () => {
    const created = await alice().post('/v1/snapshots', registration());
    expect(created.status).toBe(201);
    return created.body.snapshotId as string;
  };

  /** Uploads `bytes` with the COMMIT of its SnapshotDataStored cut as told; returns the answer. */
  const uploadCut = async (id: string, bytes: Buffer, where: CommitCut, blackoutMs?: number) => {
    const cuts = proxy.cuts;
    const cut = proxy.cutCommit({
      markers: ['SnapshotDataStored', id],
      where,
      ...(blackoutMs ? { blackoutMs } : {}),
    });
    const answer = await alice().put(`/v1/snapshots/${id}/data`, bytes);
    await cut;
    expect(proxy.cuts).toBe(cuts + 1);
    return answer;
  };

  const stateOnceAnswering = (id: string) =>
    waitFor(
      async () => {
        const snapshot = await alice().get(`/v1/snapshots/${id}`);
        return snapshot.status === 200 && (snapshot.body.state as string);
      },
      { timeoutMs: 30_000, intervalMs: 250, what: 'the catalog answering again' },
    );

  const expectNormalWith = async (id: string, bytes: Buffer) => {
    await waitFor(async () => (await stateOnceAnswering(id)) === 'NORMAL', {
      timeoutMs: 15_000,
      what: `${id} NORMAL`,
    });
    const read = await alice().get(`/v1/snapshots/${id}/data`);
    expect(read.status).toBe(200);
    expect(Buffer.compare(read.body, bytes)).toBe(0);
    const stored = (await allEvents(t)).filter(
      (e) => e.type === 'SnapshotDataStored' && e.data.snapshotId === id,
    );
    expect(stored).toHaveLength(1);
  };

  it('that took: the upload succeeds, the snapshot is NORMAL and its data reads back byte-identical', async () => {
    const id = await register();
    const bytes = randomBytes(300 * 1024);
    const answer = await uploadCut(id, bytes, 'after-commit');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ snapshotId: id, state: 'NORMAL', sizeBytes: bytes.length });
    await expectNormalWith(id, bytes);
  });

  it('that never reached the database: the data is dropped, the snapshot stays CREATING, and a retry stores it', async () => {
    const id = await register();
    const bytes = randomBytes(200 * 1024);
    const answer = await uploadCut(id, bytes, 'before-commit');
    expect(answer.status).toBeGreaterThanOrEqual(500);
    expect(await hasManifest(id)).toBe(false);
    expect(await stateOnceAnswering(id)).toBe('CREATING');
    expect((await alice().put(`/v1/snapshots/${id}/data`, bytes)).status).toBe(200);
    await expectNormalWith(id, bytes);
  });

  it('that took, with the database then unreachable: 503 with Retry-After, the data kept; NORMAL and byte-identical once it answers', async () => {
    const id = await register();
    const bytes = randomBytes(200 * 1024);
    const answer = await uploadCut(id, bytes, 'after-commit', unreachableMs);
    expectError(answer, 503, 'ServiceUnavailable');
    expect(answer.headers.get('retry-after')).toBe('5');
    expect(await hasManifest(id)).toBe(true);
    await expectNormalWith(id, bytes);
  });

  it('that did not take, with the database then unreachable: 503 and the data kept; once it answers the snapshot is CREATING and a retried upload stores its own data', async () => {
    const id = await register();
    const first = randomBytes(200 * 1024);
    const answer = await uploadCut(id, first, 'before-commit', unreachableMs);
    expectError(answer, 503, 'ServiceUnavailable');
    expect(await hasManifest(id)).toBe(true); // a stray manifest of a CREATING snapshot
    expect(await stateOnceAnswering(id)).toBe('CREATING');
    expectError(await alice().get(`/v1/snapshots/${id}/data`), 409);
    const bytes = randomBytes(150 * 1024);
    const retried = await waitFor(
      async () => {
        const put = await alice().put(`/v1/snapshots/${id}/data`, bytes);
        return put.body?.error?.code !== 'UnsupportedOperation.UploadInProgress' && put;
      },
      { timeoutMs: 35_000, intervalMs: 500, what: 'the first upload’s lease released' },
    );
    expect(retried.status).toBe(200);
    await expectNormalWith(id, bytes);
  });

  it('a definite refusal still drops the data: a snapshot deleted during its upload keeps no manifest', async () => {
    const id = await register();
    const bytes = randomBytes(256 * 1024);
    const req = httpRequest(`${t.url}/v1/snapshots/${id}/data`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${keys.alice}`,
        'content-type': 'application/octet-stream',
        'content-length': bytes.length,
      },
    });
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', reject);
    });
    req.write(bytes.subarray(0, 100 * 1024));
    await sleep(300); // the upload is under way
    expect((await alice().delete(`/v1/snapshots/${id}`)).status).toBe(204);
    req.end(bytes.subarray(100 * 1024));
    const answer = await response;
    answer.resume();
    expect(answer.statusCode).toBe(404);
    expect(await hasManifest(id)).toBe(false);
  });
});
