import type { RegionCatalog } from '../regions/region-catalog';
import { defaultRegionCatalog } from '../regions/region-catalog';
import { parseRegionCatalog } from '../regions/parse-region-catalog';
import { snapshotIdPattern } from '../shared/ids';
import type { SnapshotState } from '../snapshots/snapshot';
import { evolveSnapshot, initialSnapshotState } from '../snapshots/snapshot';
import type { SnapshotEvent } from '../snapshots/snapshot-events';
import {
  accountId,
  copyEnded,
  copyRequested,
  countingIds,
  deciderSpecification,
  now,
  registered,
  stored,
} from '../spec-helpers';
import type {
  ReplicationDecision,
  RequestReplication,
  RequestReplicationContext,
} from './request-replication';
import { requestReplication } from './request-replication';

type Context = Omit<RequestReplicationContext, 'source'>;

/** The source snapshot's stream is the state; the rest of the context is fixed per spec. */
const spec = (context: Partial<Context> = {}) =>
  deciderSpecification<RequestReplication, SnapshotState, SnapshotEvent, ReplicationDecision>({
    initialState: initialSnapshotState,
    evolve: evolveSnapshot,
    decide: (command, source) =>
      requestReplication(command, {
        source,
        betaEnabled: true,
        regions: defaultRegionCatalog,
        snapshotsInRegion: () => 0,
        newSnapshotId: countingIds('snap'),
        newReplicationId: countingIds('repl'),
        ...context,
      }),
  });

const copyTo = (
  destinationRegions: string[],
  extra: Partial<RequestReplication> = {},
): RequestReplication => ({
  accountId,
  sourceSnapshotId: 'snap-src00001',
  destinationRegions,
  now,
  ...extra,
});

const normalSource = [registered(), stored()];
const fsiSource = [
  registered({ region: 'ap-shanghai-fsi' }),
  stored('snap-src00001', 'ap-shanghai-fsi'),
];
const codes = (decision: ReplicationDecision) =>
  decision.results.map((r) => [r.destinationRegion, r.code]);

describe('requestReplication', () => {
  describe('the request as a whole', () => {
    it('refuses an account not in the beta', () => {
      spec({ betaEnabled: false })
        .given(normalSource)
        .when(copyTo(['ap-shanghai']))
        .thenThrows('UnauthorizedOperation.NotInBeta');
    });

    it("hides another account's snapshot", () => {
      spec()
        .given([registered({ accountId: 'acct-other' }), stored()])
        .when(copyTo(['ap-shanghai']))
        .thenThrows('ResourceNotFound.Snapshot');
    });

    it('does not find a snapshot that never existed or was deleted', () => {
      spec()
        .given([])
        .when(copyTo(['ap-shanghai']))
        .thenThrows('ResourceNotFound.Snapshot');
      const deleted: SnapshotEvent = {
        type: 'SnapshotDeleted',
        data: { snapshotId: 'snap-src00001', accountId, region: 'ap-guangzhou', deletedAt: now },
      };
      spec()
        .given([...normalSource, deleted])
        .when(copyTo(['ap-shanghai']))
        .thenThrows('ResourceNotFound.Snapshot');
    });

    it('refuses a system disk snapshot even when every destination is fine', () => {
      spec()
        .given([registered({ diskUsage: 'SYSTEM_DISK' }), stored()])
        .when(copyTo(['ap-shanghai', 'ap-singapore']))
        .thenThrows('UnsupportedOperation.SystemDiskSnapshot');
    });

    it('copies only NORMAL snapshots (not one still uploading, arriving or failed)', () => {
      spec()
        .given([registered()])
        .when(copyTo(['ap-shanghai']))
        .thenThrows('UnsupportedOperation.SnapshotNotNormal');
      const arriving = registered({
        copyOf: {
          replicationId: 'repl-00000009',
          sourceSnapshotId: 'snap-other001',
          sourceRegion: 'ap-beijing',
        },
      });
      spec()
        .given([arriving])
        .when(copyTo(['ap-shanghai']))
        .thenThrows('UnsupportedOperation.SnapshotNotNormal');
      const failed: SnapshotEvent = {
        type: 'SnapshotCopyFailed',
        data: {
          snapshotId: 'snap-src00001',
          region: 'ap-guangzhou',
          replicationId: 'repl-00000009',
          reason: 'boom',
          failedAt: now,
        },
      };
      spec()
        .given([arriving, failed])
        .when(copyTo(['ap-shanghai']))
        .thenThrows('UnsupportedOperation.SnapshotNotNormal');
    });

    it('accepts a name of 60 characters and refuses 61', () => {
      const sixty = 'n'.repeat(60);
      const decision = spec()
        .given(normalSource)
        .when(copyTo(['ap-shanghai'], { snapshotName: sixty }))
        .thenResult();
      expect(decision.accepted[0]?.targetRegistered.data.name).toBe(sixty);
      expect(decision.accepted[0]?.replicationRequested.data.targetSnapshotName).toBe(sixty);
      spec()
        .given(normalSource)
        .when(copyTo(['ap-shanghai'], { snapshotName: 'n'.repeat(61) }))
        .thenThrows('InvalidParameterValue.SnapshotName');
    });

    it('names the copy "Copied <source snapshot id> from <source region>" by default', () => {
      const decision = spec()
        .given(normalSource)
        .when(copyTo(['ap-shanghai', 'ap-singapore']))
        .thenResult();
      expect(decision.accepted.map((a) => a.targetRegistered.data.name)).toEqual([
        'Copied snap-src00001 from ap-guangzhou',
        'Copied snap-src00001 from ap-guangzhou',
      ]);
    });

    it('refuses an empty or repeated destination list', () => {
      spec()
        .given(normalSource)
        .when(copyTo([]))
        .thenThrows('InvalidParameterValue.DestinationRegions');
      spec()
        .given(normalSource)
        .when(copyTo(['ap-shanghai', 'ap-singapore', 'ap-shanghai']))
        .thenThrows('InvalidParameterValue.DestinationRegions');
    });
  });

  describe('each destination on its own', () => {
    it('refuses unknown regions and the source region itself', () => {
      const decision = spec()
        .given(normalSource)
        .when(copyTo(['xx-nowhere', 'ap-guangzhou', 'AP-SHANGHAI', 'ap-shanghai']))
        .thenResult();
      expect(codes(decision)).toEqual([
        ['xx-nowhere', 'InvalidParameterValue.Region'],
        ['ap-guangzhou', 'InvalidParameterValue.Region'],
        ['AP-SHANGHAI', 'InvalidParameterValue.Region'],
        ['ap-shanghai', 'Success'],
      ]);
    });

    it('keeps finance zones apart in both directions and allows finance to finance', () => {
      const intoFinance = spec()
        .given(normalSource)
        .when(copyTo(['ap-shanghai-fsi', 'ap-shenzhen-fsi']))
        .thenResult();
      expect(codes(intoFinance)).toEqual([
        ['ap-shanghai-fsi', 'UnsupportedOperation.FinanceZoneRestricted'],
        ['ap-shenzhen-fsi', 'UnsupportedOperation.FinanceZoneRestricted'],
      ]);
      expect(intoFinance.accepted).toEqual([]);
      const outOfFinance = spec()
        .given(fsiSource)
        .when(copyTo(['ap-guangzhou', 'ap-singapore', 'ap-shenzhen-fsi', 'ap-beijing-fsi']))
        .thenResult();
      expect(codes(outOfFinance)).toEqual([
        ['ap-guangzhou', 'UnsupportedOperation.FinanceZoneRestricted'],
        ['ap-singapore', 'UnsupportedOperation.FinanceZoneRestricted'],
        ['ap-shenzhen-fsi', 'Success'],
        ['ap-beijing-fsi', 'Success'],
      ]);
    });

    it('applies the default geographical restrictions in one direction only', () => {
      const fromChina = spec()
        .given(normalSource)
        .when(copyTo(['eu-frankfurt', 'na-siliconvalley', 'sa-saopaulo', 'ap-singapore']))
        .thenResult();
      expect(codes(fromChina)).toEqual([
        ['eu-frankfurt', 'UnsupportedOperation.GeoRestricted'],
        ['na-siliconvalley', 'UnsupportedOperation.GeoRestricted'],
        ['sa-saopaulo', 'UnsupportedOperation.GeoRestricted'],
        ['ap-singapore', 'Success'],
      ]);
      const fromUs = spec()
        .given([
          registered({ region: 'na-siliconvalley' }),
          stored('snap-src00001', 'na-siliconvalley'),
        ])
        .when(copyTo(['ap-guangzhou', 'eu-frankfurt']))
        .thenResult();
      expect(codes(fromUs)).toEqual([
        ['ap-guangzhou', 'Success'],
        ['eu-frankfurt', 'Success'],
      ]);
    });

    it('applies a custom catalog’s regions and geographical policy', () => {
      const custom: RegionCatalog = parseRegionCatalog({
        regions: [
          { id: 'no-alpha', name: 'North A', geography: 'north', finance: false, snapshotQuota: 5 },
          { id: 'no-beta', name: 'North B', geography: 'north', finance: false, snapshotQuota: 5 },
          { id: 'so-gamma', name: 'South', geography: 'south', finance: false, snapshotQuota: 5 },
        ],
        geoRestrictions: [{ from: 'north', to: 'south' }],
      });
      const decision = spec({ regions: custom })
        .given([registered({ region: 'no-alpha' }), stored('snap-src00001', 'no-alpha')])
        .when(copyTo(['so-gamma', 'no-beta', 'ap-shanghai']))
        .thenResult();
      expect(codes(decision)).toEqual([
        ['so-gamma', 'UnsupportedOperation.GeoRestricted'],
        ['no-beta', 'Success'],
        ['ap-shanghai', 'InvalidParameterValue.Region'],
      ]);
    });

    it('refuses a destination whose quota is used up and accepts one below it', () => {
      const held: Record<string, number> = { 'ap-shanghai': 500, 'ap-singapore': 499 };
      const decision = spec({ snapshotsInRegion: (region) => held[region] ?? 0 })
        .given(normalSource)
        .when(copyTo(['ap-shanghai', 'ap-singapore']))
        .thenResult();
      expect(codes(decision)).toEqual([
        ['ap-shanghai', 'LimitExceeded.SnapshotQuota'],
        ['ap-singapore', 'Success'],
      ]);
    });

    it('allows one copy at a time per destination, and again once it has ended', () => {
      const inFlight = [...normalSource, copyRequested('ap-shanghai', 'repl-inflight')];
      expect(
        codes(
          spec()
            .given(inFlight)
            .when(copyTo(['ap-shanghai', 'ap-singapore']))
            .thenResult(),
        ),
      ).toEqual([
        ['ap-shanghai', 'UnsupportedOperation.SnapshotCopying'],
        ['ap-singapore', 'Success'],
      ]);
      // An end for some other replication does not lift the lock.
      expect(
        codes(
          spec()
            .given([...inFlight, copyEnded('ap-shanghai', 'repl-stale')])
            .when(copyTo(['ap-shanghai']))
            .thenResult(),
        ),
      ).toEqual([['ap-shanghai', 'UnsupportedOperation.SnapshotCopying']]);
      expect(
        codes(
          spec()
            .given([...inFlight, copyEnded('ap-shanghai', 'repl-inflight')])
            .when(copyTo(['ap-shanghai']))
            .thenResult(),
        ),
      ).toEqual([['ap-shanghai', 'Success']]);
    });
  });

  it('answers one result per destination, in order, and events for the accepted ones only', () => {
    spec()
      .given(normalSource)
      .when(
        copyTo(['ap-shanghai', 'xx-nowhere', 'ap-shanghai-fsi', 'eu-frankfurt', 'ap-singapore'], {
          snapshotName: 'dr copy',
        }),
      )
      .then({
        results: [
          {
            destinationRegion: 'ap-shanghai',
            snapshotId: 'snap-00000001',
            replicationId: 'repl-00000001',
            code: 'Success',
            message: expect.any(String),
          },
          {
            destinationRegion: 'xx-nowhere',
            code: 'InvalidParameterValue.Region',
            message: expect.stringContaining('xx-nowhere'),
          },
          {
            destinationRegion: 'ap-shanghai-fsi',
            code: 'UnsupportedOperation.FinanceZoneRestricted',
            message: expect.any(String),
          },
          {
            destinationRegion: 'eu-frankfurt',
            code: 'UnsupportedOperation.GeoRestricted',
            message: expect.any(String),
          },
          {
            destinationRegion: 'ap-singapore',
            snapshotId: 'snap-00000002',
            replicationId: 'repl-00000002',
            code: 'Success',
            message: expect.any(String),
          },
        ],
        accepted: [
          {
            copyRequested: {
              type: 'SnapshotCopyRequested',
              data: {
                snapshotId: 'snap-src00001',
                region: 'ap-guangzhou',
                replicationId: 'repl-00000001',
                targetRegion: 'ap-shanghai',
                targetSnapshotId: 'snap-00000001',
                requestedAt: now,
              },
            },
            replicationRequested: {
              type: 'ReplicationRequested',
              data: {
                replicationId: 'repl-00000001',
                sourceSnapshotId: 'snap-src00001',
                targetSnapshotId: 'snap-00000001',
                targetRegion: 'ap-shanghai',
                accountId,
                sourceRegion: 'ap-guangzhou',
                targetSnapshotName: 'dr copy',
                diskId: 'disk-data0001',
                diskSizeGiB: 10,
                sizeBytes: 4096,
                sourceDigest: 'sha256:abc',
                encrypted: false,
                requestedAt: now,
              },
            },
            targetRegistered: {
              type: 'SnapshotRegistered',
              data: {
                snapshotId: 'snap-00000001',
                accountId,
                region: 'ap-shanghai',
                diskId: 'disk-data0001',
                diskUsage: 'DATA_DISK',
                diskSizeGiB: 10,
                name: 'dr copy',
                encrypted: false,
                copyOf: {
                  replicationId: 'repl-00000001',
                  sourceSnapshotId: 'snap-src00001',
                  sourceRegion: 'ap-guangzhou',
                },
                tags: [
                  { key: 'snapferry:source-snapshot', value: 'snap-src00001' },
                  { key: 'snapferry:source-region', value: 'ap-guangzhou' },
                ],
                registeredAt: now,
              },
            },
          },
          expect.objectContaining({
            copyRequested: expect.objectContaining({
              data: expect.objectContaining({
                targetRegion: 'ap-singapore',
                targetSnapshotId: 'snap-00000002',
              }),
            }),
          }),
        ],
      });
  });

  it('uses the injected id sources for the new snapshot and replication', () => {
    const snapIds = ['snap-k3x9q2ab', 'snap-zz00yy11'];
    const decision = spec({
      newSnapshotId: () => snapIds.shift() ?? 'snap-exhausted',
      newReplicationId: () => 'repl-fixed001',
    })
      .given(normalSource)
      .when(copyTo(['ap-shanghai', 'ap-singapore']))
      .thenResult();
    expect(decision.results.map((r) => r.snapshotId)).toEqual(['snap-k3x9q2ab', 'snap-zz00yy11']);
    for (const [i, copy] of decision.accepted.entries()) {
      const id = decision.results[i]?.snapshotId;
      expect(id).toMatch(snapshotIdPattern);
      expect(copy.copyRequested.data.targetSnapshotId).toBe(id);
      expect(copy.replicationRequested.data.targetSnapshotId).toBe(id);
      expect(copy.targetRegistered.data.snapshotId).toBe(id);
      expect(copy.replicationRequested.data.replicationId).toBe('repl-fixed001');
    }
  });

  it('registers targets that start COPYING_FROM_REMOTE and lock the source', () => {
    const decision = spec()
      .given(normalSource)
      .when(copyTo(['ap-shanghai']))
      .thenResult();
    const copy = decision.accepted[0]!;
    expect(evolveSnapshot(null, copy.targetRegistered)).toMatchObject({
      status: 'COPYING_FROM_REMOTE',
      region: 'ap-shanghai',
    });
    const source = [...normalSource, copy.copyRequested].reduce(
      evolveSnapshot,
      initialSnapshotState(),
    );
    expect(source?.copiesInFlight).toEqual({
      'ap-shanghai': { replicationId: 'repl-00000001', targetSnapshotId: 'snap-00000001' },
    });
  });
});
