import { defaultRegionCatalog } from '@snapferry/domain';
import type { RegionsAnswer } from '../api/types';
import { allowedSelection, regionChoices } from './region-choices';

const answer = (used: Record<string, number> = {}, quota = 500): RegionsAnswer => ({
  regions: defaultRegionCatalog.regions.map((r) => ({
    ...r,
    snapshotQuota: quota,
    snapshotsUsed: used[r.id] ?? 0,
    chunkSize: 4 * 1024 * 1024,
  })),
  geoRestrictions: defaultRegionCatalog.geoRestrictions,
  chunkSize: 4 * 1024 * 1024,
});

const source = (region = 'ap-guangzhou', copyingTo: string[] = []) => ({
  snapshotId: 'snap-aaaa0001',
  region,
  copyingToRegions: copyingTo.map((r, i) => ({
    region: r,
    snapshotId: `snap-bbbb000${i}`,
    replicationId: `repl-cccc000${i}`,
    state: 'COPYING_FROM_REMOTE' as const,
    percent: 10,
    deadline: null,
    deadlineMissedAt: null,
  })),
});

const byId = (choices: ReturnType<typeof regionChoices>) =>
  Object.fromEntries(choices.map((c) => [c.id, c]));

describe('the replication dialog region list', () => {
  it('lists every region with its quota use, allowing the ones the rules accept', () => {
    const choices = byId(regionChoices(answer({ 'ap-shanghai': 7 }), source()));
    expect(Object.keys(choices)).toHaveLength(defaultRegionCatalog.regions.length);
    expect(choices['ap-shanghai']).toEqual({
      id: 'ap-shanghai',
      name: 'East China (Shanghai)',
      finance: false,
      snapshotsUsed: 7,
      snapshotQuota: 500,
    });
    expect(choices['ap-singapore']?.refusal).toBeUndefined();
  });

  it("refuses the source's own region", () => {
    const own = byId(regionChoices(answer(), source()))['ap-guangzhou'];
    expect(own?.refusal).toEqual({
      code: 'InvalidParameterValue.Region',
      label: 'Source region',
      message: "region ap-guangzhou is the source snapshot's own region",
    });
  });

  it('refuses finance zones from an ordinary region, and ordinary regions from a finance zone', () => {
    const fromOrdinary = byId(regionChoices(answer(), source()));
    expect(fromOrdinary['ap-shanghai-fsi']?.refusal).toMatchObject({
      code: 'UnsupportedOperation.FinanceZoneRestricted',
      label: 'Finance zone restriction',
    });
    const fromFinance = byId(regionChoices(answer(), source('ap-shenzhen-fsi')));
    expect(fromFinance['ap-shanghai-fsi']?.refusal).toBeUndefined();
    expect(fromFinance['ap-singapore']?.refusal?.code).toBe(
      'UnsupportedOperation.FinanceZoneRestricted',
    );
  });

  it('refuses the geographies the policy forbids, with the pair in words', () => {
    const choices = byId(regionChoices(answer(), source()));
    expect(choices['eu-frankfurt']?.refusal).toEqual({
      code: 'UnsupportedOperation.GeoRestricted',
      label: 'Geographic restriction',
      message: 'copies from mainland-china to europe (eu-frankfurt) are not allowed',
    });
    expect(choices['na-siliconvalley']?.refusal?.code).toBe('UnsupportedOperation.GeoRestricted');
    // Asia-Pacific has no restriction towards north America.
    const fromSingapore = byId(regionChoices(answer(), source('ap-singapore')));
    expect(fromSingapore['na-siliconvalley']?.refusal).toBeUndefined();
  });

  it('refuses a region whose quota is used up, and one this source is already copying to', () => {
    const choices = byId(
      regionChoices(
        answer({ 'ap-beijing': 3, 'ap-nanjing': 2 }, 3),
        source('ap-guangzhou', ['ap-shanghai']),
      ),
    );
    expect(choices['ap-beijing']?.refusal).toMatchObject({
      code: 'LimitExceeded.SnapshotQuota',
      message: 'the snapshot quota in ap-beijing (3) is used up',
    });
    expect(choices['ap-nanjing']?.refusal).toBeUndefined();
    expect(choices['ap-shanghai']?.refusal?.code).toBe('UnsupportedOperation.SnapshotCopying');
  });

  it('sends only chosen regions the rules allow, in catalog order', () => {
    const choices = regionChoices(answer(), source());
    expect(
      allowedSelection(choices, new Set(['eu-frankfurt', 'ap-singapore', 'ap-shanghai'])),
    ).toEqual(['ap-shanghai', 'ap-singapore']);
  });
});
