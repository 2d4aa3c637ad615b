import fc from 'fast-check';
import { defaultRegionCatalog, findRegion } from '../regions/region-catalog';
import { DomainError } from '../shared/event';
import { evolveSnapshot, initialSnapshotState } from '../snapshots/snapshot';
import { accountId, copyRequested, countingIds, now, registered, stored } from '../spec-helpers';
import { requestReplication } from './request-replication';

const sources = ['ap-guangzhou', 'ap-shanghai-fsi', 'na-siliconvalley', 'ap-singapore'];
const known = [
  'ap-shanghai',
  'ap-beijing',
  'ap-singapore',
  'ap-tokyo',
  'eu-frankfurt',
  'na-siliconvalley',
  'ap-guangzhou',
];
const unknown = ['xx-nowhere', 'ap-atlantis', 'AP-SHANGHAI', ''];
const finance = ['ap-shanghai-fsi', 'ap-shenzhen-fsi', 'ap-beijing-fsi'];
const anyRegion = fc.constantFrom(...known, ...unknown, ...finance);

const scenario = fc.record({
  sourceRegion: fc.constantFrom(...sources),
  destinations: fc.array(anyRegion, { minLength: 1, maxLength: 8 }),
  inFlight: fc.subarray([...known, ...finance]),
  full: fc.subarray([...known, ...finance]),
});

describe('requestReplication (properties)', () => {
  it('judges every destination once, in order, and accepts only what it reports as Success', () => {
    fc.assert(
      fc.property(scenario, ({ sourceRegion, destinations, inFlight, full }) => {
        const source = [
          registered({ region: sourceRegion }),
          stored('snap-src00001', sourceRegion),
          ...inFlight.map((region, i) =>
            copyRequested(region, `repl-f${String(i).padStart(7, '0')}`),
          ),
        ].reduce(evolveSnapshot, initialSnapshotState());
        const decide = () =>
          requestReplication(
            { accountId, sourceSnapshotId: 'snap-src00001', destinationRegions: destinations, now },
            {
              source,
              betaEnabled: true,
              regions: defaultRegionCatalog,
              snapshotsInRegion: (region) => (full.includes(region) ? 500 : 0),
              newSnapshotId: countingIds('snap'),
              newReplicationId: countingIds('repl'),
            },
          );

        // A repeated destination refuses the whole request.
        if (new Set(destinations).size !== destinations.length) {
          expect(decide).toThrow(DomainError);
          return;
        }
        const { results, accepted } = decide();
        expect(results.map((r) => r.destinationRegion)).toEqual(destinations);

        const successes = results.filter((r) => r.code === 'Success');
        expect(accepted).toHaveLength(successes.length);
        expect(accepted.map((a) => a.copyRequested.data.targetRegion)).toEqual(
          successes.map((r) => r.destinationRegion),
        );
        for (const [i, copy] of accepted.entries()) {
          const result = successes[i]!;
          expect(copy.replicationRequested.data.accountId).toBe(accountId);
          expect(copy.targetRegistered.data.accountId).toBe(accountId);
          expect(copy.replicationRequested.data).toMatchObject({
            targetRegion: result.destinationRegion,
            replicationId: result.replicationId,
            targetSnapshotId: result.snapshotId,
          });
          expect(copy.targetRegistered.data).toMatchObject({
            region: result.destinationRegion,
            snapshotId: result.snapshotId,
          });
          expect(copy.copyRequested.data).toMatchObject({
            replicationId: result.replicationId,
            targetSnapshotId: result.snapshotId,
          });
        }
        expect(new Set(accepted.map((a) => a.copyRequested.data.targetRegion)).size).toBe(
          accepted.length,
        );
        expect(new Set(successes.map((r) => r.snapshotId)).size).toBe(successes.length);

        // What must never be accepted, whatever else the request holds.
        const sourceIsFinance = findRegion(defaultRegionCatalog, sourceRegion)?.finance;
        for (const r of successes) {
          const destination = findRegion(defaultRegionCatalog, r.destinationRegion);
          expect(destination).toBeDefined();
          expect(r.destinationRegion).not.toBe(sourceRegion);
          expect(destination?.finance).toBe(sourceIsFinance);
          expect(inFlight).not.toContain(r.destinationRegion);
          expect(full).not.toContain(r.destinationRegion);
        }
        for (const r of results.filter((x) => x.code !== 'Success'))
          expect(r.snapshotId).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});
