import type { DataSource } from 'typeorm';
import { PostgresEventStore } from '@snapferry/event-store';
import { emptyGcStats, type GcStats } from '@snapferry/storage';
import { createTestDatabase, type TestDatabase } from '@snapferry/testing';
import { migrate } from '../database/migrate';
import { DataReaperRepository } from './data-reaper.repository';

const second = 1_000;
const minute = 60 * second;
const timing = { intervalMs: minute, periodMs: 60 * minute, graceMs: 10 * minute };
const stats: GcStats = emptyGcStats();

describe('DataReaperRepository: the durable GC schedule and work', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let store: PostgresEventStore;
  let now: number;
  let rows: DataReaperRepository;

  beforeAll(async () => {
    db = await createTestDatabase('sf_reaper');
    dataSource = await migrate(db.url);
    store = new PostgresEventStore(dataSource);
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });
  beforeEach(async () => {
    await store.execute(`TRUNCATE region_gc, data_reaper_work`);
    now = Date.parse('2030-01-01T00:00:00Z');
    rows = new DataReaperRepository(store, timing, () => new Date(now));
  });

  const at = (ms: number) => (now = Date.parse('2030-01-01T00:00:00Z') + ms);
  const sweep = async (region: string) => {
    const claim = await rows.claimSweep(region);
    if (!claim) throw new Error(`no sweep of ${region} is due`);
    await rows.swept(region, claim, stats);
  };
  const deleted = (region: string, snapshotId: string) =>
    store.transaction((tx) => rows.recordDeletions(tx, [{ region, snapshotId }]));

  it('sweeps every region periodically, deletions or not: never swept is due now, then after the period', async () => {
    await rows.ensureRegions(['ap-shanghai', 'ap-singapore']);
    expect(await rows.due()).toEqual(['ap-shanghai', 'ap-singapore']);
    await sweep('ap-shanghai');
    expect(await rows.due()).toEqual(['ap-singapore']);
    at(60 * minute - 1);
    expect(await rows.claimSweep('ap-shanghai')).toBeNull();
    at(60 * minute);
    expect(await rows.due()).toContain('ap-shanghai');
  });

  it('a deletion makes the sweep due at once, at most once per interval, and once more after the grace', async () => {
    await rows.ensureRegions(['ap-shanghai']);
    await sweep('ap-shanghai');
    at(10 * second);
    await deleted('ap-shanghai', 'snap-00000001');
    await deleted('ap-shanghai', 'snap-00000002');
    expect(await rows.claimSweep('ap-shanghai')).toBeNull(); // the interval since the last sweep
    at(minute);
    await sweep('ap-shanghai');
    at(minute + 10 * minute);
    expect(await rows.claimSweep('ap-shanghai')).toBeNull();
    at(minute + 10 * minute + second);
    await sweep('ap-shanghai'); // the follow-up, for chunks that were too young
    at(minute + 10 * minute + second + 59 * minute);
    expect(await rows.claimSweep('ap-shanghai')).toBeNull(); // then the period again
  });

  it('a deletion recorded while a sweep runs makes another sweep due after the interval', async () => {
    await rows.ensureRegions(['ap-shanghai']);
    await deleted('ap-shanghai', 'snap-00000001');
    const claim = await rows.claimSweep('ap-shanghai');
    await deleted('ap-shanghai', 'snap-00000002'); // committed after the sweep read the state
    at(5 * second);
    await rows.swept('ap-shanghai', claim!, stats);
    at(5 * second + minute - 1);
    expect(await rows.claimSweep('ap-shanghai')).toBeNull();
    at(5 * second + minute);
    expect(await rows.claimSweep('ap-shanghai')).not.toBeNull();
  });

  it("keeps a region's deletions waiting until dropped; a failing region backs off while the others go on", async () => {
    await rows.ensureRegions(['ap-shanghai', 'ap-singapore']);
    await sweep('ap-shanghai');
    await sweep('ap-singapore');
    await deleted('ap-singapore', 'snap-00000001');
    await deleted('ap-shanghai', 'snap-00000002');
    expect(await rows.waiting('ap-singapore', 10)).toEqual(['snap-00000001']);

    expect(await rows.failed('ap-singapore', new Error('unreachable'))).toEqual({
      failures: 1,
      retryInMs: 5 * second,
    });
    expect(await rows.due()).toEqual(['ap-shanghai']);
    at(5 * second);
    expect(await rows.due()).toEqual(['ap-shanghai', 'ap-singapore']);
    expect((await rows.failed('ap-singapore', new Error('unreachable'))).retryInMs).toBe(
      10 * second,
    );
    expect(await rows.states()).toEqual([
      { region: 'ap-shanghai', waiting: 1, failures: 0, lastRunAt: new Date(now - 5 * second) },
      { region: 'ap-singapore', waiting: 1, failures: 2, lastRunAt: new Date(now - 5 * second) },
    ]);

    at(minute); // back, and the interval since the last sweep has passed
    await rows.dropped('ap-singapore', ['snap-00000001']);
    await sweep('ap-singapore');
    expect(await rows.waiting('ap-singapore', 10)).toEqual([]);
    expect((await rows.states()).find((s) => s.region === 'ap-singapore')).toMatchObject({
      waiting: 0,
      failures: 0,
    });
  });
});
