import type { Browser, Page } from 'playwright-core';
import { waitFor } from '@snapferry/testing';
import {
  startReplicator,
  type RunningReplicator,
} from '../../apps/replicator/src/start-replicator';
import { keys, startTestCatalog, type TestCatalog } from '../support/catalog-harness';
import { launchChromium, screenshot, watchPage, type PageWatch } from '../support/browser';

const diskId = 'disk-brwpol01';

/**
 * The console's Policies page in a real browser against the real stack: a policy with its
 * recovery-point table (newest copy, recovers-to time, age, state per disk and destination),
 * a policy created elsewhere appearing live, ap-singapore's replicator stopped so that its
 * recovery point turns At risk and Breached on the page while ap-shanghai stays OK, and
 * restored live once the replicator is back; tags on the snapshot list and in the copy dialog. No console error.
 */
describe('the console’s policies page', () => {
  let t: TestCatalog;
  let shanghai: RunningReplicator | undefined;
  let singapore: RunningReplicator | undefined;
  let browser: Browser;
  let page: Page;
  let watch: PageWatch;
  let policyId: string;
  let first: string;

  const replicatorFor = (region: string) =>
    startReplicator({ ...t.env, REPLICATOR_REGIONS: region, REPLICATOR_PORT: '0' });
  const alice = () => t.api.as(keys.alice);
  /** A NORMAL snapshot of the disk in ap-guangzhou with the tag tier=gold. */
  const taggedSnapshot = async () => {
    const created = await alice().post('/v1/snapshots', {
      region: 'ap-guangzhou',
      diskId,
      diskUsage: 'DATA_DISK',
      diskSizeGiB: 1,
      tags: [{ key: 'tier', value: 'gold' }],
    });
    expect(created.status).toBe(201);
    const stored = await alice().put(
      `/v1/snapshots/${created.body.snapshotId}/data`,
      Buffer.from(`image ${Date.now()}`),
    );
    expect(stored.status).toBe(200);
    return created.body.snapshotId as string;
  };
  const pointRow = (region: string) =>
    page.locator(
      `article[data-policy-id="${policyId}"] tr[data-disk-id="${diskId}"][data-region="${region}"]`,
    );
  const stateOf = (region: string) => pointRow(region).getAttribute('data-state');

  beforeAll(async () => {
    t = await startTestCatalog();
    shanghai = await replicatorFor('ap-shanghai');
    singapore = await replicatorFor('ap-singapore');
    await t.api.as(keys.operator).put('/v1/accounts/alice/beta');
    const created = await alice().post('/v1/policies', {
      name: 'orders-db DR',
      sourceRegion: 'ap-guangzhou',
      selector: { tags: [{ key: 'tier', value: 'gold' }] },
      destinations: [
        { region: 'ap-shanghai', retain: { count: 3 } },
        { region: 'ap-singapore', retain: { count: 3 } },
      ],
      rpoMinutes: 1,
    });
    expect(created.status).toBe(201);
    policyId = created.body.policyId;
    first = await taggedSnapshot();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1366, height: 820 } });
    watch = watchPage(page);
  });

  afterAll(async () => {
    await browser?.close();
    await singapore?.stop();
    await shanghai?.stop();
    await t?.stop();
  });

  it('lists the policy with one recovery point per disk and destination, OK, ageing every second', async () => {
    await page.goto(`${t.url}/console`);
    await page.getByLabel('API key').fill(keys.alice);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Policies' }).click();
    await page.getByRole('heading', { name: 'Disaster recovery policies' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/policies');
    const card = page.locator(`article[data-policy-id="${policyId}"]`);
    await card.getByRole('heading', { name: /orders-db DR/ }).waitFor();
    expect(await card.locator('dl.facts').innerText()).toMatch(
      /ap-guangzhou: tier=gold[\s\S]*ap-shanghai \(keeps newest 3\) · ap-singapore \(keeps newest 3\)[\s\S]*at most 1 min old/,
    );

    for (const region of ['ap-shanghai', 'ap-singapore'])
      await waitFor(async () => (await stateOf(region)) === 'OK', {
        what: `${region} OK on the page`,
      });
    const cells = await pointRow('ap-shanghai').locator('td').allInnerTexts();
    expect(cells).toEqual([
      diskId,
      'ap-shanghai',
      expect.stringMatching(/^snap-[a-z0-9]{8}$/),
      expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
      expect.stringMatching(/^\d+ s$/),
      'OK',
    ]);
    const age = async () =>
      Number((await pointRow('ap-shanghai').locator('td').nth(4).innerText()).split(' ')[0]);
    const before = await age();
    await waitFor(async () => (await age()) > before, { what: 'the age ticking' });
  });

  it('shows a policy created elsewhere without a reload', async () => {
    const other = await alice().post('/v1/policies', {
      name: 'archive',
      sourceRegion: 'ap-guangzhou',
      selector: { diskIds: ['disk-brwpol99'] },
      destinations: [{ region: 'ap-shanghai', retain: { maxAgeDays: 7 } }],
      rpoMinutes: 60,
      enabled: false,
    });
    const card = page.locator(`article[data-policy-id="${other.body.policyId}"]`);
    // A disk named by the policy that has no copy yet in a destination: No copy yet.
    const none = card.locator('tr[data-disk-id="disk-brwpol99"][data-region="ap-shanghai"]');
    await none.waitFor();
    expect(await none.getAttribute('data-state')).toBe('NONE');
    expect(await none.locator('td').allInnerTexts()).toEqual([
      'disk-brwpol99',
      'ap-shanghai',
      '—',
      '—',
      '—',
      'No copy yet',
    ]);
    expect(await card.getByRole('heading').innerText()).toMatch(/archive.*Disabled/s);
  });

  it('turns ap-singapore At risk, then Breached, while its replicator is stopped; OK again once it is back', async () => {
    await singapore!.stop();
    singapore = undefined;
    await taggedSnapshot(); // copied to ap-shanghai; waits for ap-singapore
    await waitFor(async () => (await stateOf('ap-singapore')) === 'AT_RISK', {
      what: 'ap-singapore At risk',
      timeoutMs: 70_000,
      intervalMs: 250,
    });
    // A fresh snapshot keeps ap-shanghai's recovery point young while ap-singapore's ages on.
    const fresh = await taggedSnapshot();
    await waitFor(async () => (await newestCopySource('ap-shanghai')) === fresh, {
      what: 'the fresh copy in ap-shanghai',
    });
    await waitFor(async () => (await stateOf('ap-singapore')) === 'BREACHED', {
      what: 'ap-singapore Breached',
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    expect(await pointRow('ap-singapore').locator('td').nth(5).innerText()).toBe('Breached');
    expect(await stateOf('ap-shanghai')).toBe('OK');
    expect(await pointRow('ap-singapore').locator('td').nth(2).innerText()).toBe(
      (await newestCopy('ap-singapore')) ?? '',
    );
    await screenshot(page, 'policies');

    singapore = await replicatorFor('ap-singapore');
    await waitFor(async () => (await stateOf('ap-singapore')) === 'OK', {
      what: 'ap-singapore OK again, without a reload',
      timeoutMs: 30_000,
    });
  });

  it('shows tags on the snapshot list (the source’s own, the policy that made a copy) and in the copy dialog', async () => {
    await page.getByRole('link', { name: 'Snapshots' }).click();
    await page.getByLabel('Region', { exact: true }).selectOption('ap-guangzhou');
    const source = page.locator(`tr[data-snapshot-id="${first}"]`);
    await source.waitFor();
    expect(await source.locator('td').nth(7).innerText()).toBe('tier=gold');
    // the copy dialog says which tags a copy carries: the source's own and where it came from
    await source.getByRole('button', { name: /Cross-region replication/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Cross-region replication' });
    await dialog.locator('.copy-tags .tag').first().waitFor();
    const carried = await dialog.locator('.copy-tags .tag').allInnerTexts();
    expect(carried).toEqual([
      'tier=gold',
      `snapferry:source-snapshot=${first}`,
      'snapferry:source-region=ap-guangzhou',
    ]);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByLabel('Region', { exact: true }).selectOption('ap-shanghai');
    const copy = page.locator('table.snapshots tbody tr[data-snapshot-id]').first();
    await copy.waitFor();
    const tags = await copy.locator('td').nth(7).innerText();
    expect(tags).toMatch(/tier=gold/);
    expect(tags).toMatch(new RegExp(`policy ${policyId}`));
    await copy.getByRole('link', { name: `policy ${policyId}` }).click();
    await page.getByRole('heading', { name: 'Disaster recovery policies' }).waitFor();
  });

  it('logged no console error', () => {
    expect(watch.errors).toEqual([]);
    expect(watch.urls.filter((url) => url.includes(keys.alice))).toEqual([]);
  });

  async function newestCopySource(region: string): Promise<string | undefined> {
    const copies = await alice().get(
      `/v1/snapshots?region=${region}&diskId=${diskId}&state=NORMAL`,
    );
    return (copies.body.snapshots as { sourceSnapshotId: string }[])[0]?.sourceSnapshotId;
  }

  async function newestCopy(region: string): Promise<string | null> {
    const status = await alice().get(`/v1/policies/${policyId}/status`);
    return (
      (status.body.recoveryPoints as { region: string; snapshotId: string | null }[]).find(
        (p) => p.region === region,
      )?.snapshotId ?? null
    );
  }
});
