import fc from 'fast-check';
import type { RetentionRule } from './policy-definition';
import { planRetention, type RetentionCandidate } from './retention';

const now = '2024-05-20T00:00:00.000Z';
const daysAgo = (days: number) => new Date(Date.parse(now) - days * 86_400_000).toISOString();
const copy = (
  n: number,
  days: number,
  extra: Partial<RetentionCandidate> = {},
): RetentionCandidate => ({
  snapshotId: `snap-${String(n).padStart(8, '0')}`,
  region: 'ap-shanghai',
  diskId: 'disk-aaaa0001',
  takenAt: daysAgo(days),
  normal: true,
  owned: true,
  copying: false,
  ...extra,
});
const ids = (deletions: { snapshotId: string }[]) => deletions.map((d) => d.snapshotId).sort();

describe('planRetention', () => {
  it('keeps the newest count copies of each disk in each region', () => {
    const copies = [
      copy(1, 4),
      copy(2, 3),
      copy(3, 2),
      copy(4, 1),
      copy(5, 5, { diskId: 'disk-bbbb0002' }),
    ];
    expect(planRetention({ count: 2 }, copies, now)).toEqual([
      {
        snapshotId: copy(2, 3).snapshotId,
        region: 'ap-shanghai',
        diskId: 'disk-aaaa0001',
        reason: 'not among the newest 2 of its disk',
      },
      {
        snapshotId: copy(1, 4).snapshotId,
        region: 'ap-shanghai',
        diskId: 'disk-aaaa0001',
        reason: 'not among the newest 2 of its disk',
      },
    ]);
  });

  it('lets each limit delete: beyond the count or older than maxAgeDays', () => {
    const copies = [copy(1, 9), copy(2, 8), copy(3, 2), copy(4, 1)];
    expect(ids(planRetention({ count: 3, maxAgeDays: 7 }, copies, now))).toEqual(
      ids([copy(1, 9), copy(2, 8)]),
    );
    expect(ids(planRetention({ maxAgeDays: 7 }, copies, now))).toEqual(
      ids([copy(1, 9), copy(2, 8)]),
    );
  });

  it('never deletes the newest NORMAL copy, even when every rule says so', () => {
    expect(
      planRetention({ maxAgeDays: 1 }, [copy(1, 30), copy(2, 20)], now).map((d) => d.snapshotId),
    ).toEqual([copy(1, 30).snapshotId]);
    // The newest is still arriving: the newest NORMAL one stays.
    const arriving = copy(3, 0, { normal: false });
    expect(ids(planRetention({ count: 1 }, [copy(1, 30), copy(2, 20), arriving], now))).toEqual(
      ids([copy(1, 30)]),
    );
  });

  it('never deletes what the policy did not make, nor what a copy is reading from', () => {
    const copies = [
      copy(1, 9, { owned: false }),
      copy(2, 8, { copying: true }),
      copy(3, 7),
      copy(4, 1),
    ];
    expect(ids(planRetention({ count: 1 }, copies, now))).toEqual(ids([copy(3, 7)]));
  });

  it('counts only the policy’s own copies, but a newer manual copy is still the one kept', () => {
    const copies = [copy(1, 3), copy(2, 2), copy(3, 1, { owned: false })];
    expect(planRetention({ count: 2 }, copies, now)).toEqual([]);
    expect(ids(planRetention({ count: 1 }, copies, now))).toEqual(ids([copy(1, 3)]));
  });
});

describe('planRetention (properties)', () => {
  const candidate = fc.record({
    n: fc.integer({ min: 1, max: 40 }),
    days: fc.integer({ min: 0, max: 30 }),
    region: fc.constantFrom('ap-shanghai', 'ap-singapore'),
    diskId: fc.constantFrom('disk-aaaa0001', 'disk-bbbb0002'),
    normal: fc.boolean(),
    owned: fc.boolean(),
    copying: fc.boolean(),
  });
  const rule: fc.Arbitrary<RetentionRule> = fc.oneof(
    fc.record({ count: fc.integer({ min: 1, max: 5 }) }),
    fc.record({ maxAgeDays: fc.integer({ min: 1, max: 20 }) }),
    fc.record({
      count: fc.integer({ min: 1, max: 5 }),
      maxAgeDays: fc.integer({ min: 1, max: 20 }),
    }),
  );

  it('deletes only owned, NORMAL, unread candidates, never the newest NORMAL of a disk, and each for a limit it breaks', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(candidate, { selector: (c) => c.n, maxLength: 30 }),
        rule,
        (raw, retain) => {
          const candidates = raw.map(({ n, days, ...rest }) => copy(n, days, rest));
          const deletions = planRetention(retain, candidates, now);
          const byId = new Map(candidates.map((c) => [c.snapshotId, c]));
          for (const d of deletions) {
            const c = byId.get(d.snapshotId)!;
            expect(c.owned && c.normal && !c.copying).toBe(true);
            const group = candidates.filter(
              (o) => o.normal && o.region === c.region && o.diskId === c.diskId,
            );
            const newest = [...group].sort((a, b) =>
              a.takenAt === b.takenAt
                ? b.snapshotId.localeCompare(a.snapshotId)
                : a.takenAt < b.takenAt
                  ? 1
                  : -1,
            )[0]!;
            expect(d.snapshotId).not.toBe(newest.snapshotId);
            const ownedNewer = group.filter(
              (o) =>
                o.owned &&
                (o.takenAt > c.takenAt || (o.takenAt === c.takenAt && o.snapshotId > c.snapshotId)),
            ).length;
            const beyondCount = retain.count !== undefined && ownedNewer >= retain.count;
            const tooOld =
              retain.maxAgeDays !== undefined &&
              Date.parse(now) - Date.parse(c.takenAt) > retain.maxAgeDays * 86_400_000;
            expect(beyondCount || tooOld).toBe(true);
          }
          // Every NORMAL disk in a region keeps at least one NORMAL snapshot.
          const gone = new Set(deletions.map((d) => d.snapshotId));
          for (const c of candidates.filter((c) => c.normal))
            expect(
              candidates.some(
                (o) =>
                  o.normal &&
                  o.region === c.region &&
                  o.diskId === c.diskId &&
                  !gone.has(o.snapshotId),
              ),
            ).toBe(true);
          // Applied, the rule has nothing more to delete: retention settles in one pass.
          expect(
            planRetention(
              retain,
              candidates.filter((c) => !gone.has(c.snapshotId)),
              now,
            ),
          ).toEqual([]);
        },
      ),
      { numRuns: 500 },
    );
  });
});
