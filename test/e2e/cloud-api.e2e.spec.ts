import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { waitFor } from '@snapferry/testing';
import { CommonClient } from 'tencentcloud-sdk-nodejs/tencentcloud/common/common_client';
import { Client as CbsClient } from 'tencentcloud-sdk-nodejs/tencentcloud/services/cbs/v20170312/cbs_client';
import type {
  CreateSnapshotRequest,
  Snapshot,
} from 'tencentcloud-sdk-nodejs/tencentcloud/services/cbs/v20170312/cbs_models';
import { startCatalog } from '../../apps/catalog/src/start-catalog';
import { keys, normalSnapshot, startTestStack, type TestStack } from '../support/catalog-harness';
import { allEvents, eventCount } from '../support/e2e-helpers';

/**
 * The cloud's API 3.0 driven by a client nobody here wrote: the official Node.js SDK
 * (tencentcloud-sdk-nodejs), pointed at the catalog; and requests signed by hand the way the
 * Go and Python SDKs sign them (host with its port, service `cbs`).
 */

const alice = {
  secretId: 'AKIDalice000000000000000000000001',
  secretKey: 'alice-cloud-secret-0001',
};
const bob = { secretId: 'AKIDbob00000000000000000000000001', secretKey: 'bob-cloud-secret-000001' };
const cloudKeys = `${alice.secretId}:${alice.secretKey}=alice:user,${bob.secretId}:${bob.secretKey}=bob:user`;

describe('the cloud API 3.0 endpoint, through the official Node.js SDK', () => {
  let t: TestStack;
  let endpoint: string;
  beforeAll(async () => {
    t = await startTestStack({
      catalogEnv: { SNAPFERRY_CLOUD_KEYS: cloudKeys },
      // Slow copies, so that their states can be watched.
      replicatorEnv: { REPLICATOR_MAX_BYTES_PER_SEC: String(512 * 1024) },
    });
    endpoint = new URL(t.url).host;
  });
  afterAll(() => t?.stop());

  const cbs = (
    region: string | undefined,
    credential: { secretId: string; secretKey: string } = alice,
    reqMethod: 'POST' | 'GET' = 'POST',
  ) =>
    new CbsClient({
      credential,
      ...(region ? { region } : {}),
      profile: { httpProfile: { endpoint, protocol: 'http://', reqMethod } },
    });
  /** The SDK's error code (it throws TencentCloudSDKHttpException with `code`). */
  const codeOf = async (call: Promise<unknown>): Promise<string> =>
    call.then(
      () => 'no error',
      (error: { code?: string; httpCode?: number; message: string }) =>
        error.code ?? `no code (http ${error.httpCode}: ${error.message})`,
    );
  /** CreateSnapshot with Snapferry's DiskSize (it keeps no disk inventory), which the SDK's type lacks. */
  const createSnapshot = (
    client: CbsClient,
    request: CreateSnapshotRequest & { DiskSize?: number },
  ) => client.CreateSnapshot(request);
  const describeOne = async (region: string, snapshotId: string): Promise<Snapshot | undefined> =>
    (await cbs(region).DescribeSnapshots({ SnapshotIds: [snapshotId] })).SnapshotSet?.[0];

  describe('snapshots', () => {
    it('creates a snapshot through the SDK; after an upload with the v1 API it is NORMAL', async () => {
      const guangzhou = cbs('ap-guangzhou');
      const { SnapshotId, RequestId } = await createSnapshot(guangzhou, {
        DiskId: 'disk-c1oud001',
        SnapshotName: 'orders db',
        DiskSize: 1,
      });
      expect(SnapshotId).toMatch(/^snap-[a-z0-9]{8}$/);
      expect(RequestId).toEqual(expect.any(String));
      expect(await describeOne('ap-guangzhou', SnapshotId!)).toMatchObject({
        SnapshotId,
        SnapshotName: 'orders db',
        SnapshotState: 'CREATING',
        Percent: 0,
        DiskId: 'disk-c1oud001',
        DiskUsage: 'DATA_DISK',
        DiskSize: 1,
        Encrypt: false,
        CopyFromRemote: false,
        CopyingToRegions: [],
        Placement: { Zone: 'ap-guangzhou-1' },
      });
      const stored = await t.api
        .as(keys.alice)
        .put(`/v1/snapshots/${SnapshotId}/data`, randomBytes(64 * 1024));
      expect(stored.status).toBe(200);
      const snapshot = await describeOne('ap-guangzhou', SnapshotId!);
      expect(snapshot).toMatchObject({ SnapshotState: 'NORMAL', Percent: 100 });
      expect(snapshot!.CreateTime).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);

      // The next snapshot of the same disk takes its size and usage from the first one.
      const next = await guangzhou.CreateSnapshot({ DiskId: 'disk-c1oud001' });
      expect(await describeOne('ap-guangzhou', next.SnapshotId!)).toMatchObject({
        DiskSize: 1,
        DiskUsage: 'DATA_DISK',
      });
      // A disk never seen needs its size (Snapferry keeps no disk inventory).
      expect(await codeOf(guangzhou.CreateSnapshot({ DiskId: 'disk-new00001' }))).toBe(
        'MissingParameter',
      );
      expect(await codeOf(guangzhou.CreateSnapshot({ DiskId: 'not-a-disk' }))).toBe(
        'InvalidParameterValue',
      );
      // Another region's snapshot is not found in this one.
      expect(await describeOne('ap-shanghai', SnapshotId!)).toBeUndefined();
    });

    it('lists with filters, order and paging; GET with signed query parameters gives the same', async () => {
      const beijing = cbs('ap-beijing');
      const ids: string[] = [];
      for (const [disk, name] of [
        ['disk-bj000001', 'alpha'],
        ['disk-bj000002', 'beta'],
        ['disk-bj000001', 'gamma'],
      ] as const)
        ids.push(
          (await createSnapshot(beijing, { DiskId: disk, SnapshotName: name, DiskSize: 2 }))
            .SnapshotId!,
        );

      const all = await beijing.DescribeSnapshots({});
      expect(all.TotalCount).toBe(3);
      expect(all.SnapshotSet!.map((s) => s.SnapshotId)).toEqual([...ids].reverse());
      const page = await beijing.DescribeSnapshots({
        Order: 'ASC',
        OrderField: 'CREATE_TIME',
        Offset: 1,
        Limit: 1,
      });
      expect([page.TotalCount, page.SnapshotSet!.map((s) => s.SnapshotId)]).toEqual([3, [ids[1]]]);
      const filtered = {
        Filters: [
          { Name: 'disk-id', Values: ['disk-bj000001'] },
          { Name: 'snapshot-state', Values: ['CREATING'] },
        ],
      };
      const byDisk = await beijing.DescribeSnapshots(filtered);
      expect(byDisk.SnapshotSet!.map((s) => s.SnapshotName)).toEqual(['gamma', 'alpha']);
      const viaGet = await cbs('ap-beijing', alice, 'GET').DescribeSnapshots(filtered);
      expect(viaGet.SnapshotSet).toEqual(byDisk.SnapshotSet);
      const byName = await cbs('ap-beijing', alice, 'GET').DescribeSnapshots({
        Filters: [{ Name: 'snapshot-name', Values: ['beta', 'nothing'] }],
        Limit: 5,
      });
      expect(byName.SnapshotSet!.map((s) => s.SnapshotId)).toEqual([ids[1]]);
      expect(
        (
          await beijing.DescribeSnapshots({
            Filters: [{ Name: 'snapshot-state', Values: ['NORMAL'] }],
          })
        ).TotalCount,
      ).toBe(0);

      expect(await codeOf(beijing.DescribeSnapshots({ SnapshotIds: [ids[0]!], ...filtered }))).toBe(
        'InvalidParameter',
      );
      expect(await codeOf(beijing.DescribeSnapshots({ Limit: 101 }))).toBe(
        'InvalidParameterValue.LimitExceeded',
      );
      expect(
        await codeOf(
          beijing.DescribeSnapshots({ Filters: [{ Name: 'project-id', Values: ['0'] }] }),
        ),
      ).toBe('InvalidFilter');
    });

    it('renames; deletes several at once, or none when one is refused', async () => {
      const beijing = cbs('ap-beijing');
      // Named apart: the same write twice within one second is one signature, refused as a replay.
      const create = (SnapshotName: string) =>
        createSnapshot(beijing, { DiskId: 'disk-bj000009', DiskSize: 1, SnapshotName });
      const [a, b, c] = [
        (await create('a')).SnapshotId!,
        (await create('b')).SnapshotId!,
        (await create('c')).SnapshotId!,
      ];

      await beijing.ModifySnapshotAttribute({
        SnapshotId: a,
        SnapshotName: 'renamed',
        IsPermanent: true,
      });
      expect((await describeOne('ap-beijing', a))!.SnapshotName).toBe('renamed');
      expect(
        await codeOf(
          beijing.ModifySnapshotAttribute({ SnapshotId: a, SnapshotName: 'n'.repeat(61) }),
        ),
      ).toBe('InvalidParameterValue');
      expect(
        await codeOf(
          cbs('ap-shanghai').ModifySnapshotAttribute({ SnapshotId: a, SnapshotName: 'x' }),
        ),
      ).toBe('InvalidSnapshotId.NotFound');
      expect(
        await codeOf(beijing.ModifySnapshotAttribute({ SnapshotId: a, IsPermanent: false })),
      ).toBe('UnsupportedOperation');

      await beijing.DeleteSnapshots({ SnapshotIds: [a, b] });
      expect(
        (await beijing.DescribeSnapshots({ SnapshotIds: [a, b, c] })).SnapshotSet!.map(
          (s) => s.SnapshotId,
        ),
      ).toEqual([c]);
      expect(await codeOf(beijing.DeleteSnapshots({ SnapshotIds: [c, 'snap-none0000'] }))).toBe(
        'InvalidSnapshotId.NotFound',
      );
      expect(await describeOne('ap-beijing', c)).toMatchObject({ SnapshotId: c });
      expect(await codeOf(beijing.DeleteSnapshots({ SnapshotIds: [] }))).toBe('MissingParameter');
    });

    it("takes Tags on CreateSnapshot, filters by tag-key, tag-value and tag:<key>, answers Tags in the cloud's shape", async () => {
      const chengdu = cbs('ap-chengdu');
      const create = (DiskId: string, Tags: { Key: string; Value: string }[]) =>
        createSnapshot(chengdu, { DiskId, DiskSize: 1, Tags });
      const gold = (
        await create('disk-cdtag001', [
          { Key: 'tier', Value: 'gold' },
          { Key: 'app', Value: 'orders' },
        ])
      ).SnapshotId!;
      const silver = (await create('disk-cdtag002', [{ Key: 'tier', Value: 'silver' }]))
        .SnapshotId!;
      const plain = (await create('disk-cdtag003', [])).SnapshotId!;
      expect((await describeOne('ap-chengdu', gold))?.Tags).toEqual([
        { Key: 'tier', Value: 'gold' },
        { Key: 'app', Value: 'orders' },
      ]);
      expect((await describeOne('ap-chengdu', plain))?.Tags).toEqual([]);
      // The v1 API sees the same tags.
      expect((await t.api.as(keys.alice).get(`/v1/snapshots/${gold}`)).body.tags).toEqual([
        { key: 'tier', value: 'gold' },
        { key: 'app', value: 'orders' },
      ]);
      const ids = async (
        Filters: { Name: string; Values: string[] }[],
        method: 'POST' | 'GET' = 'POST',
      ) =>
        ((await cbs('ap-chengdu', alice, method).DescribeSnapshots({ Filters })).SnapshotSet ?? [])
          .map((s) => s.SnapshotId)
          .sort();
      expect(await ids([{ Name: 'tag-key', Values: ['tier'] }])).toEqual([gold, silver].sort());
      expect(await ids([{ Name: 'tag-key', Values: ['app', 'nothing'] }])).toEqual([gold]);
      expect(await ids([{ Name: 'tag:tier', Values: ['gold', 'silver'] }])).toEqual(
        [gold, silver].sort(),
      );
      expect(await ids([{ Name: 'tag:tier', Values: ['silver'] }], 'GET')).toEqual([silver]);
      expect(
        await ids([
          { Name: 'tag:tier', Values: ['gold', 'silver'] },
          { Name: 'tag:app', Values: ['orders'] },
        ]),
      ).toEqual([gold]);
      expect(await ids([{ Name: 'tag-value', Values: ['orders'] }])).toEqual([gold]);
      expect(
        await ids([
          { Name: 'tag-key', Values: ['tier'] },
          { Name: 'disk-id', Values: ['disk-cdtag002'] },
        ]),
      ).toEqual([silver]);
      // Tags through a GET's query string (Tags.0.Key=…), and the rules of the v1 API.
      const viaGet = await cbs('ap-chengdu', alice, 'GET').CreateSnapshot({
        DiskId: 'disk-cdtag004',
        DiskSize: 1,
        Tags: [{ Key: 'env', Value: 'prod' }],
      } as CreateSnapshotRequest);
      expect((await describeOne('ap-chengdu', viaGet.SnapshotId!))?.Tags).toEqual([
        { Key: 'env', Value: 'prod' },
      ]);
      const before = await eventCount(t);
      expect(
        await codeOf(create('disk-cdtag005', [{ Key: 'snapferry:policy', Value: 'pol-aaaa0001' }])),
      ).toBe('InvalidParameterValue');
      expect(await codeOf(create('disk-cdtag005', [{ Key: 'semi;colon', Value: 'x' }]))).toBe(
        'InvalidParameterValue',
      );
      const tooMany = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
      expect(await codeOf(create('disk-cdtag005', tooMany))).toBe('InvalidParameterValue');
      expect(
        await codeOf(
          createSnapshot(chengdu, {
            DiskId: 'disk-cdtag005',
            DiskSize: 1,
            Tags: [{ Value: 'x' }],
          } as never),
        ),
      ).toBe('MissingParameter');
      expect(await eventCount(t)).toBe(before);
    });

    it('gives the overview totals of a region and of the account', async () => {
      const [beijing, whole] = await Promise.all([
        cbs('ap-beijing').DescribeSnapshotOverview(),
        cbs(undefined).DescribeSnapshotOverview(),
      ]);
      const listed = await cbs('ap-beijing').DescribeSnapshots({});
      expect(beijing).toMatchObject({
        TotalNums: listed.TotalCount,
        TotalSize: 0,
        FreeQuota: 0,
        RealTradeSize: 0,
      });
      expect(whole.TotalNums).toBeGreaterThan(beijing.TotalNums!);
      expect(whole.TotalSize).toBeGreaterThan(0);
    });
  });

  describe('cross-region copies', () => {
    it('copies through the SDK: the target is COPYING_FROM_REMOTE with a Percent, the source lists CopyingToRegions, then NORMAL', async () => {
      const source = await normalSnapshot(t.api, keys.alice, {
        bytes: randomBytes(2 * 1024 * 1024),
      });
      const guangzhou = cbs('ap-guangzhou');
      const { SnapshotCopyResultSet } = await guangzhou.CopySnapshotCrossRegions({
        SnapshotId: source,
        DestinationRegions: ['ap-shanghai', 'eu-frankfurt', 'ap-guangzhou', 'mars-north-1'],
        SnapshotName: 'dr copy',
      });
      expect(SnapshotCopyResultSet).toEqual([
        {
          SnapshotId: expect.stringMatching(/^snap-/),
          DestinationRegion: 'ap-shanghai',
          Code: 'Success',
          Message: '',
        },
        {
          SnapshotId: '',
          DestinationRegion: 'eu-frankfurt',
          Code: 'UnsupportedOperation.GeoRestricted',
          Message: expect.any(String),
        },
        {
          SnapshotId: '',
          DestinationRegion: 'ap-guangzhou',
          Code: 'InvalidParameterValue',
          Message: expect.stringContaining('own region'),
        },
        {
          SnapshotId: '',
          DestinationRegion: 'mars-north-1',
          Code: 'InvalidParameterValue',
          Message: expect.any(String),
        },
      ]);
      const target = SnapshotCopyResultSet![0]!.SnapshotId!;

      const midway = await waitFor(
        async () => {
          const [arriving, origin] = await Promise.all([
            describeOne('ap-shanghai', target),
            describeOne('ap-guangzhou', source),
          ]);
          return (
            arriving?.SnapshotState === 'COPYING_FROM_REMOTE' &&
            arriving.Percent! > 0 &&
            arriving.Percent! < 100 && { arriving, origin }
          );
        },
        { what: 'the copy midway', timeoutMs: 15_000, intervalMs: 100 },
      );
      expect(midway.arriving).toMatchObject({
        SnapshotName: 'dr copy',
        CopyFromRemote: true,
        DiskSize: 1,
      });
      expect(midway.origin).toMatchObject({
        SnapshotState: 'NORMAL',
        CopyingToRegions: ['ap-shanghai'],
      });

      // While it copies: a second copy there is that destination's conflict; the source is locked.
      const again = await guangzhou.CopySnapshotCrossRegions({
        SnapshotId: source,
        DestinationRegions: ['ap-shanghai'],
      });
      expect(again.SnapshotCopyResultSet).toEqual([
        expect.objectContaining({
          DestinationRegion: 'ap-shanghai',
          Code: 'ResourceInUse.CopySnapshotConflict',
        }),
      ]);
      // DeleteBindImages makes the parameters differ from the DescribeSnapshots just polled: the
      // same parameters within the same second would carry the same signature (the Node.js SDK
      // signs neither the action nor a nonce), and a used signature only reads.
      const remove = () =>
        guangzhou.DeleteSnapshots({ SnapshotIds: [source], DeleteBindImages: false });
      expect(await codeOf(remove())).toBe('ResourceInUse.CopySnapshotConflict');

      const done = await waitFor(
        async () => {
          const arriving = await describeOne('ap-shanghai', target);
          return arriving?.SnapshotState === 'NORMAL' && arriving;
        },
        { what: 'the copy NORMAL', timeoutMs: 30_000, intervalMs: 100 },
      );
      expect(done).toMatchObject({ Percent: 100, CopyFromRemote: true });
      expect((await describeOne('ap-guangzhou', source))!.CopyingToRegions).toEqual([]);
      const copy = await t.api.as(keys.alice).get(`/v1/snapshots/${target}/data`);
      const original = await t.api.as(keys.alice).get(`/v1/snapshots/${source}/data`);
      expect(Buffer.compare(copy.body, original.body)).toBe(0);
      await remove();
      expect(await describeOne('ap-guangzhou', source)).toBeUndefined();
    });

    it('a copy made through the SDK carries its source tags and its origin as Tags', async () => {
      const source = await normalSnapshot(t.api, keys.alice, { diskId: 'disk-cptag001' });
      await t.api
        .as(keys.alice)
        .patch(`/v1/snapshots/${source}`, { tags: [{ key: 'tier', value: 'gold' }] });
      const { SnapshotCopyResultSet } = await cbs('ap-guangzhou').CopySnapshotCrossRegions({
        SnapshotId: source,
        DestinationRegions: ['ap-singapore'],
      });
      const target = SnapshotCopyResultSet![0]!.SnapshotId!;
      const found = await cbs('ap-singapore').DescribeSnapshots({
        Filters: [{ Name: 'tag:snapferry:source-snapshot', Values: [source] }],
      });
      expect(found.SnapshotSet!.map((s) => [s.SnapshotId, s.Tags])).toEqual([
        [
          target,
          [
            { Key: 'tier', Value: 'gold' },
            { Key: 'snapferry:source-snapshot', Value: source },
            { Key: 'snapferry:source-region', Value: 'ap-guangzhou' },
          ],
        ],
      ]);
      await waitFor(
        async () => (await describeOne('ap-singapore', target))?.SnapshotState === 'NORMAL',
        {
          timeoutMs: 60_000,
        },
      );
    });

    it("refuses a whole request with the cloud's codes, as err.code", async () => {
      const guangzhou = cbs('ap-guangzhou');
      const copy = (SnapshotId: string, client = guangzhou, destination = 'ap-shanghai') =>
        codeOf(client.CopySnapshotCrossRegions({ SnapshotId, DestinationRegions: [destination] }));
      expect(await copy('snap-none0000')).toBe('InvalidSnapshotId.NotFound');
      expect(await copy('not an id')).toBe('InvalidSnapshotId.NotFound');
      const system = await normalSnapshot(t.api, keys.alice, { diskUsage: 'SYSTEM_DISK' });
      expect(await copy(system)).toBe('UnsupportedOperation.SnapshotNotSupportCopy');
      // (Another destination: the same request from another region's client within the same
      // second would carry the same signature, X-TC-Region not being signed.)
      expect(await copy(system, cbs('ap-shanghai'), 'ap-singapore')).toBe(
        'InvalidSnapshotId.NotFound',
      );
      const bobs = await normalSnapshot(t.api, keys.bob);
      expect(await copy(bobs, cbs('ap-guangzhou', bob))).toBe('UnauthorizedOperation.NotInBeta');
      expect(await copy(bobs)).toBe('InvalidSnapshotId.NotFound'); // another account's
      expect(
        await codeOf(
          guangzhou.CopySnapshotCrossRegions({ SnapshotId: system, DestinationRegions: [] }),
        ),
      ).toBe('InvalidParameterValue');
      expect(
        await codeOf(guangzhou.CopySnapshotCrossRegions({ DestinationRegions: ['ap-shanghai'] })),
      ).toBe('MissingParameter');
      expect(
        await codeOf(
          guangzhou.CopySnapshotCrossRegions({
            SnapshotId: system,
            DestinationRegions: ['ap-shanghai'],
            Tags: [],
          } as object as never),
        ),
      ).toBe('UnknownParameter');
    });
  });

  describe('protocol and authentication', () => {
    const common = (version = '2017-03-12', credential = alice) =>
      new CommonClient(endpoint, version, {
        credential,
        region: 'ap-guangzhou',
        profile: { httpProfile: { endpoint, protocol: 'http://' } },
      });

    it('answers an unknown action, another version, a bad region and bad credentials with their codes', async () => {
      expect(await codeOf(common().request('DescribeDisks', {}))).toBe('InvalidAction');
      expect(await codeOf(common('2099-01-01').request('DescribeSnapshots', {}))).toBe(
        'NoSuchVersion',
      );
      expect(await codeOf(cbs('mars-north-1').DescribeSnapshots({}))).toBe('UnsupportedRegion');
      expect(await codeOf(cbs(undefined).DescribeSnapshots({}))).toBe('MissingParameter');
      expect(
        await codeOf(
          cbs('ap-guangzhou', { ...alice, secretKey: 'not-alice-secret' }).DescribeSnapshots({}),
        ),
      ).toBe('AuthFailure.SignatureFailure');
      expect(
        await codeOf(
          cbs('ap-guangzhou', {
            secretId: 'AKIDnobody',
            secretKey: alice.secretKey,
          }).DescribeSnapshots({}),
        ),
      ).toBe('AuthFailure.SecretIdNotFound');
      expect(
        await codeOf(
          common('2017-03-12', { ...alice, secretKey: 'wrong' }).request('NoSuchAction', {}),
        ),
      ).toBe('AuthFailure.SignatureFailure');
    });

    /** Signs as the Go SDK does (and the Python SDK: host with port, service cbs). */
    const handSigned = (
      action: string,
      body: string,
      {
        credential = alice,
        timestamp = Math.floor(Date.now() / 1000),
        contentType = 'application/json',
        signActionHeader = false,
        sentBody = body,
      } = {},
    ) => {
      const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
      const hmac = (key: string | Buffer, s: string) =>
        createHmac('sha256', key).update(s).digest();
      const date = new Date(timestamp * 1000).toISOString().slice(0, 10);
      const signedHeaders = signActionHeader
        ? 'content-type;host;x-tc-action'
        : 'content-type;host';
      const canonicalHeaders =
        `content-type:${contentType}\nhost:${endpoint}\n` +
        (signActionHeader ? `x-tc-action:${action.toLowerCase()}\n` : '');
      const canonical = ['POST', '/', '', canonicalHeaders, signedHeaders, sha256(body)].join('\n');
      const scope = `${date}/cbs/tc3_request`;
      const toSign = ['TC3-HMAC-SHA256', String(timestamp), scope, sha256(canonical)].join('\n');
      const key = hmac(hmac(hmac(`TC3${credential.secretKey}`, date), 'cbs'), 'tc3_request');
      const signature = createHmac('sha256', key).update(toSign).digest('hex');
      const requestId = randomUUID();
      return fetch(`${t.url}/`, {
        method: 'POST',
        body: sentBody,
        headers: {
          'content-type': contentType,
          'x-tc-action': action,
          'x-tc-version': '2017-03-12',
          'x-tc-region': 'ap-guangzhou',
          'x-tc-timestamp': String(timestamp),
          'x-request-id': requestId,
          authorization: `TC3-HMAC-SHA256 Credential=${credential.secretId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
        },
      }).then(async (response) => ({
        requestId,
        status: response.status,
        contentType: response.headers.get('content-type'),
        body: (await response.json()) as { Response: Record<string, any> },
      }));
    };
    const create = JSON.stringify({
      DiskId: 'disk-hand0001',
      DiskSize: 1,
      SnapshotName: 'hand signed',
    });

    it('accepts requests signed as the Go and Python SDKs sign them', async () => {
      const go = await handSigned('CreateSnapshot', create);
      expect(go).toMatchObject({ status: 200, contentType: 'application/json' });
      expect(go.body.Response).toEqual({
        SnapshotId: expect.stringMatching(/^snap-/),
        RequestId: go.requestId,
      });
      const python = await handSigned(
        'DescribeSnapshots',
        JSON.stringify({ SnapshotIds: [go.body.Response['SnapshotId']] }),
        {
          contentType: 'application/json; charset=utf-8',
          signActionHeader: true,
        },
      );
      expect(python.body.Response['SnapshotSet']).toEqual([
        expect.objectContaining({
          SnapshotId: go.body.Response['SnapshotId'],
          SnapshotName: 'hand signed',
        }),
      ]);
      const events = await allEvents(t);
      expect(
        events.filter((e) => e.metadata?.correlationId === go.requestId).map((e) => e.type),
      ).toEqual(['SnapshotRegistered']);
    });

    it('refuses a tampered body, a stale timestamp, a wrong key and an unknown SecretId, and writes nothing', async () => {
      const before = await eventCount(t);
      const refusals = [
        [
          'tampered body',
          handSigned('CreateSnapshot', create, {
            sentBody: create.replace('disk-hand0001', 'disk-hand0002'),
          }),
          'AuthFailure.SignatureFailure',
        ],
        [
          'stale timestamp',
          handSigned('CreateSnapshot', create, { timestamp: Math.floor(Date.now() / 1000) - 600 }),
          'AuthFailure.SignatureExpire',
        ],
        [
          'wrong key',
          handSigned('CreateSnapshot', create, {
            credential: { ...alice, secretKey: bob.secretKey },
          }),
          'AuthFailure.SignatureFailure',
        ],
        [
          'unknown SecretId',
          handSigned('CreateSnapshot', create, {
            credential: { ...alice, secretId: 'AKIDunknown' },
          }),
          'AuthFailure.SecretIdNotFound',
        ],
      ] as const;
      const answers = await Promise.all(refusals.map(([, answer]) => answer));
      answers.forEach((answer, i) => {
        const [what, , code] = refusals[i]!;
        expect([what, answer.status, answer.contentType, answer.body]).toEqual([
          what,
          200,
          'application/json',
          {
            Response: {
              Error: { Code: code, Message: expect.any(String) },
              RequestId: answer.requestId,
            },
          },
        ]);
        expect(JSON.stringify(answer.body)).not.toContain(alice.secretKey);
      });
      const events = await allEvents(t);
      expect(events.length).toBe(before);
      const refused = new Set(answers.map((a) => a.requestId));
      expect(events.filter((e) => refused.has(e.metadata?.correlationId))).toEqual([]);
    });

    it("keeps the cloud's shape for junk, and the /v1 JSON limit for /v1", async () => {
      const junk = await handSigned('CreateSnapshot', '{"DiskId": ');
      expect(junk.body.Response['Error']).toMatchObject({ Code: 'InvalidParameter' });
      const big = await fetch(`${t.url}/`, {
        method: 'POST',
        body: JSON.stringify({ SnapshotName: 'x'.repeat(300 * 1024) }),
        headers: { 'content-type': 'application/json', 'x-tc-action': 'CreateSnapshot' },
      });
      expect([big.status, big.headers.get('content-type')]).toEqual([200, 'application/json']);
      expect(((await big.json()) as any).Response.Error.Code).toBe('RequestSizeLimitExceeded');
      const unsigned = await fetch(`${t.url}/`, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json', 'x-tc-action': 'DescribeSnapshots' },
      });
      expect(((await unsigned.json()) as any).Response.Error.Code).toBe(
        'AuthFailure.InvalidAuthorization',
      );
      const v1 = await t.api
        .as(keys.alice)
        .post('/v1/snapshots', { region: 'ap-guangzhou', name: 'x'.repeat(300 * 1024) });
      expect([v1.status, v1.body.error.code]).toEqual([413, 'InvalidParameter.BodyTooLarge']);
      const v1ok = await t.api.as(keys.alice).post('/v1/snapshots', {
        region: 'ap-guangzhou',
        diskId: 'disk-v1000001',
        diskUsage: 'DATA_DISK',
        diskSizeGiB: 1,
      });
      expect(v1ok.status).toBe(201);
    });
  });

  describe('replayed signatures', () => {
    /**
     * A request signed once, as the official Node.js SDK signs it (content-type and host
     * without the port: the same on every catalog instance), with X-TC-Action signed or not:
     * everything a captured request holds.
     */
    const signedOnce = (action: string, body: string, { signActionHeader = false } = {}) => {
      const timestamp = Math.floor(Date.now() / 1000);
      const host = new URL(t.url).hostname;
      const sha256 = (data: string) => createHash('sha256').update(data).digest('hex');
      const hmac = (key: string | Buffer, data: string) =>
        createHmac('sha256', key).update(data).digest();
      const date = new Date(timestamp * 1000).toISOString().slice(0, 10);
      const signedHeaders = `content-type;host${signActionHeader ? ';x-tc-action' : ''}`;
      const canonicalHeaders = `content-type:application/json\nhost:${host}\n${
        signActionHeader ? `x-tc-action:${action.toLowerCase()}\n` : ''
      }`;
      const canonical = ['POST', '/', '', canonicalHeaders, signedHeaders, sha256(body)].join('\n');
      const scope = `${date}/cbs/tc3_request`;
      const toSign = ['TC3-HMAC-SHA256', String(timestamp), scope, sha256(canonical)].join('\n');
      const key = hmac(hmac(hmac(`TC3${alice.secretKey}`, date), 'cbs'), 'tc3_request');
      const signature = createHmac('sha256', key).update(toSign).digest('hex');
      return {
        body,
        headers: {
          'content-type': 'application/json',
          'x-tc-action': action,
          'x-tc-version': '2017-03-12',
          'x-tc-region': 'ap-guangzhou',
          'x-tc-timestamp': String(timestamp),
          authorization: `TC3-HMAC-SHA256 Credential=${alice.secretId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
        },
      };
    };
    /** Sends a captured request as it is, to a catalog, with X-TC-Action changed if asked. */
    const send = async (
      captured: ReturnType<typeof signedOnce>,
      { to = t.url, action }: { to?: string; action?: string } = {},
    ) => {
      const response = await fetch(`${to}/`, {
        method: 'POST',
        body: captured.body,
        headers: { ...captured.headers, ...(action ? { 'x-tc-action': action } : {}) },
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { Response: Record<string, any> }).Response;
    };
    const deletions = async (snapshotId: string) =>
      (await allEvents(t)).filter(
        (e) => e.type === 'SnapshotDeleted' && e.streamId.includes(snapshotId),
      );

    it('a captured DescribeSnapshots replayed as DeleteSnapshots is refused, and the snapshot survives', async () => {
      const { SnapshotId } = await createSnapshot(cbs('ap-guangzhou'), {
        DiskId: 'disk-rep1ay01',
        DiskSize: 1,
      });
      const body = JSON.stringify({ SnapshotIds: [SnapshotId] });
      const captured = signedOnce('DescribeSnapshots', body);
      expect((await send(captured))['SnapshotSet']).toEqual([
        expect.objectContaining({ SnapshotId }),
      ]);

      const replayed = await send(captured, { action: 'DeleteSnapshots' });
      expect(replayed).toEqual({
        Error: {
          Code: 'AuthFailure.SignatureReplayed',
          Message: expect.stringContaining('x-tc-action'),
        },
        RequestId: expect.any(String),
      });
      expect(await describeOne('ap-guangzhou', SnapshotId!)).toMatchObject({ SnapshotId });
      expect(await deletions(SnapshotId!)).toEqual([]);
      // The same read again changes nothing: answered.
      expect((await send(captured))['SnapshotSet']).toHaveLength(1);

      // Signing x-tc-action binds it: swapped, the signature itself no longer holds.
      const bound = signedOnce('DescribeSnapshots', body, { signActionHeader: true });
      expect((await send(bound, { action: 'DeleteSnapshots' }))['Error']['Code']).toBe(
        'AuthFailure.SignatureFailure',
      );
      expect(await describeOne('ap-guangzhou', SnapshotId!)).toMatchObject({ SnapshotId });
    });

    it('a replayed request that changes something is refused, by a second catalog on the same database too', async () => {
      const second = await startCatalog({ ...t.env, PORT: '0' });
      try {
        const create = (SnapshotName: string) =>
          signedOnce(
            'CreateSnapshot',
            JSON.stringify({ DiskId: 'disk-rep1ay02', DiskSize: 1, SnapshotName }),
          );
        const captured = create('once');
        const created = await send(captured);
        expect(created['SnapshotId']).toMatch(/^snap-/);
        for (const to of [second.url, t.url])
          expect((await send(captured, { to }))['Error']).toEqual({
            Code: 'AuthFailure.SignatureReplayed',
            Message: expect.stringContaining('carried out once per signature'),
          });
        // Sent to both instances at the same moment: carried out exactly once.
        const racing = create('racing');
        const answers = await Promise.all([send(racing), send(racing, { to: second.url })]);
        expect(answers.map((a) => a['Error']?.['Code'] ?? 'created').sort()).toEqual([
          'AuthFailure.SignatureReplayed',
          'created',
        ]);

        const listed = await cbs('ap-guangzhou').DescribeSnapshots({
          Filters: [{ Name: 'disk-id', Values: ['disk-rep1ay02'] }],
        });
        expect(listed.SnapshotSet!.map((s) => s.SnapshotName).sort()).toEqual(['once', 'racing']);
      } finally {
        await second.stop();
      }
    });

    it('the official SDK keeps working: polling within one second, reads back to back; the same write twice in one second is refused', async () => {
      /** Waits for a second to begin, so that what follows shares its X-TC-Timestamp. */
      const atSecondStart = async () => {
        const into = Date.now() % 1000;
        if (into > 50) await new Promise((resolve) => setTimeout(resolve, 1000 - into));
      };
      const beijing = cbs('ap-beijing');
      await atSecondStart();
      for (let i = 0; i < 5; i++)
        expect((await beijing.DescribeSnapshots({})).TotalCount).toEqual(expect.any(Number));
      const concurrent = await Promise.all([
        ...[1, 2, 3].map(() => beijing.DescribeSnapshots({})),
        // Another read with the same parameters carries the same signature.
        beijing.request('DescribeSnapshotOverview', {}) as Promise<{ RequestId?: string }>,
      ]);
      expect(concurrent.every((answer) => typeof answer.RequestId === 'string')).toBe(true);

      await atSecondStart();
      // Sent together, so signed within the same second however slow the answers: one runs.
      const create = () => createSnapshot(beijing, { DiskId: 'disk-rep1ay03', DiskSize: 1 });
      const twice = await Promise.all([codeOf(create()), codeOf(create())]);
      expect(twice.sort()).toEqual(['AuthFailure.SignatureReplayed', 'no error']);
      const listed = await beijing.DescribeSnapshots({
        Filters: [{ Name: 'disk-id', Values: ['disk-rep1ay03'] }],
      });
      expect(listed.TotalCount).toBe(1);
    });
  });
});
