import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { defaultRegionCatalog } from '@snapferry/domain';
import { waitFor } from '@snapferry/testing';
import { keys, normalSnapshot, startTestStack, type TestStack } from '../support/catalog-harness';
import { launchChromium, screenshot, watchPage, type PageWatch } from '../support/browser';
import { writeRegionsFile } from '../support/regions-file';

/**
 * The web console in a real browser against the real stack (catalog + replicator, PostgreSQL,
 * RabbitMQ): sign in, the list, the replication dialog and its rules, a copy watched live to
 * NORMAL, the source's status on hover, delete refused and delete-to-cancel, the event log
 * growing, a replication's timeline, sign out — and not one console error on the way.
 */
describe('the web console', () => {
  let t: TestStack;
  let browser: Browser;
  let page: Page;
  let watch: PageWatch;
  let regionsDir: string;
  let big: string; // alice's 12 MiB data-disk snapshot in ap-guangzhou: the copy to watch
  let system: string; // a system-disk snapshot: cannot be copied
  const targets: Record<string, string> = {};
  const replications: Record<string, string> = {};

  const row = (snapshotId: string) => page.locator(`tr[data-snapshot-id="${snapshotId}"]`);
  const openRegion = async (region: string) => {
    await page.getByLabel('Region', { exact: true }).selectOption(region);
    await page.locator('caption', { hasText: `(${region})` }).waitFor();
  };

  beforeAll(async () => {
    // The built-in catalog, with no quota left in ap-nanjing, so the dialog has a quota refusal to show.
    regionsDir = await mkdtemp(join(tmpdir(), 'snapferry-browser-'));
    const regionsFile = await writeRegionsFile(regionsDir, { 'ap-nanjing': { snapshotQuota: 0 } });
    // 12 MiB at 1 MiB/s per region: a copy lasts ~12 s, long enough to watch its percent move.
    t = await startTestStack({
      catalogEnv: { SNAPFERRY_REGIONS_FILE: regionsFile },
      replicatorEnv: { REPLICATOR_MAX_BYTES_PER_SEC: String(1024 * 1024) },
    });
    system = await normalSnapshot(t.api, keys.alice, {
      diskId: 'disk-sys00001',
      diskUsage: 'SYSTEM_DISK',
    });
    await normalSnapshot(t.api, keys.alice, { diskId: 'disk-aaaa0002' });
    big = await normalSnapshot(t.api, keys.alice, {
      diskId: 'disk-aaaa0001',
      bytes: randomBytes(12 * 1024 * 1024),
    });
    await t.api.as(keys.alice).patch(`/v1/snapshots/${big}`, {
      name: 'orders-db nightly',
      tags: [
        { key: 'tier', value: 'gold' },
        { key: 'env', value: 'prod' },
      ],
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1366, height: 820 } });
    watch = watchPage(page);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    await rm(regionsDir, { recursive: true, force: true });
  });

  it('signs in with an API key kept for the tab only, refusing a wrong one', async () => {
    await page.goto(`${t.url}/console`);
    const key = page.getByLabel('API key');
    await key.fill('not-a-real-key-0000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'does not accept this API key' }).waitFor();

    await key.fill(keys.alice);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Snapshots' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/snapshots');
    expect(await page.evaluate(`sessionStorage.getItem('snapferry.console.apiKey')`)).toBe(
      keys.alice,
    );
    expect(await page.evaluate('document.cookie')).toBe('');
  });

  it("lists a region's snapshots with id, name, state, disk, usage, size and created; filters and pages", async () => {
    await page.locator('caption', { hasText: '(ap-guangzhou)' }).waitFor();
    await expectRowCount(3);
    const cells = await row(big).locator('td').allInnerTexts();
    expect(cells.slice(0, 7)).toEqual([
      big,
      'orders-db nightly',
      'Normal',
      'disk-aaaa0001',
      'Data disk',
      expect.stringMatching(/^1 GiB\s+12\.0 MiB data$/),
      expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
    ]);
    expect(cells[7]).toMatch(/^tier=gold\s*env=prod$/);
    expect(await row(system).locator('td').nth(7).innerText()).toBe('—');
    // System disks cannot be copied: the row's button says so and is off.
    const systemCopy = row(system).getByRole('button', { name: /Cross-region replication/ });
    expect(await systemCopy.isDisabled()).toBe(true);
    expect(await systemCopy.getAttribute('title')).toMatch(/System disk/);
    await screenshot(page, 'snapshot-list');

    // Filter by disk, then by state.
    await page.getByLabel('Disk', { exact: true }).fill('disk-aaaa0001');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expectRowCount(1);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expectRowCount(3);
    await page.getByLabel('State').selectOption('CREATING');
    await page.getByText('No snapshots match these filters.').waitFor();
    await page.getByLabel('State').selectOption('');
    await expectRowCount(3);

    // Two per page (the page size is in the URL, like the filters): newest first, then the next page.
    await page.goto(`${t.url}/console/snapshots?region=ap-guangzhou&limit=2`);
    await page.getByText('1–2 of 3').waitFor();
    await expectRowCount(2);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('3–3 of 3').waitFor();
    await expectRowCount(1);
    expect(await row(system).count()).toBe(1); // the oldest
    await page.getByLabel('Per page').selectOption('20');
    await page.getByText('1–3 of 3').waitFor();
  });

  it('opens the replication dialog: default name, a 60-character counter, regions with quota use and refusals', async () => {
    await row(big)
      .getByRole('button', { name: `Cross-region replication of ${big}` })
      .click();
    const dialog = page.getByRole('dialog', { name: 'Cross-region replication' });
    await dialog.waitFor();
    const name = dialog.getByLabel('New snapshot name (optional)');
    expect(await name.getAttribute('placeholder')).toBe(`Copied ${big} from ap-guangzhou`);
    expect(await name.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await name.fill('nightly 🚢 copy'); // 14: the ship is one character (two UTF-16 units)
    await dialog.getByText('14/60').waitFor();
    await name.fill('x'.repeat(61));
    await dialog.getByText('61/60 — at most 60 characters').waitFor();
    const ok = dialog.getByRole('button', { name: 'OK' });
    expect(await ok.isDisabled()).toBe(true);
    await name.fill('');

    const region = (id: string) => dialog.locator(`li:has(input[value="${id}"])`);
    const reason = async (id: string) => (await region(id).locator('.reason').innerText()).trim();
    await region('ap-shanghai').waitFor();
    expect(await dialog.locator('.region-list li').count()).toBe(
      defaultRegionCatalog.regions.length,
    );
    expect(await reason('ap-guangzhou')).toBe(
      "Source region: region ap-guangzhou is the source snapshot's own region",
    );
    expect(await reason('eu-frankfurt')).toBe(
      'Geographic restriction: copies from mainland-china to europe (eu-frankfurt) are not allowed',
    );
    expect(await reason('ap-shanghai-fsi')).toBe(
      'Finance zone restriction: only finance-zone snapshots can be copied into the finance zone ap-shanghai-fsi',
    );
    expect(await reason('ap-nanjing')).toBe(
      'Quota used up: the snapshot quota in ap-nanjing (0) is used up',
    );
    for (const refused of ['ap-guangzhou', 'eu-frankfurt', 'ap-shanghai-fsi', 'ap-nanjing'])
      expect(await region(refused).getByRole('checkbox').isDisabled()).toBe(true);
    expect(await region('ap-shanghai').locator('.quota').innerText()).toBe('0/500');
    expect(await ok.isDisabled()).toBe(true); // nothing chosen yet

    // Keyboard: Tab never leaves the dialog; Escape closes it and focus returns to the row.
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press(i % 7 === 6 ? 'Shift+Tab' : 'Tab');
      expect(await page.evaluate(`Boolean(document.activeElement?.closest('dialog'))`)).toBe(true);
    }
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await page.evaluate(`document.activeElement?.getAttribute('aria-label')`)).toBe(
      `Cross-region replication of ${big}`,
    );
  });

  it('starts copies to two regions and shows one result per destination', async () => {
    await row(big)
      .getByRole('button', { name: `Cross-region replication of ${big}` })
      .click();
    const dialog = page.getByRole('dialog', { name: 'Cross-region replication' });
    // Each checkbox is labelled with the region's name and id.
    await dialog
      .getByRole('checkbox', { name: 'East China (Shanghai) ap-shanghai', exact: true })
      .check();
    await dialog.getByRole('checkbox', { name: 'Southeast Asia (Singapore) ap-singapore' }).check();
    await dialog.getByText('2 regions chosen').waitFor();
    // An optional deadline, judged as the API judges it: a past one keeps OK off, with the reason.
    const deadline = dialog.getByLabel('Deadline (optional)');
    await deadline.fill('2020-01-01T00:00');
    await dialog.getByText(/^Deadline 2020-01-01T\S+ is not in the future\.$/).waitFor();
    expect(await dialog.getByRole('button', { name: 'OK' }).isDisabled()).toBe(true);
    const tomorrow = new Date(Date.now() + 24 * 3600_000);
    const local = (d: Date) =>
      `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}T${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
    await deadline.fill(local(tomorrow));
    await dialog.getByText(/^When the copies should be NORMAL by/).waitFor();
    await screenshot(page, 'replication-dialog');
    await dialog.getByRole('button', { name: 'OK' }).click();

    await dialog.getByText('Copies started to 2 regions.').waitFor();
    for (const destination of ['ap-shanghai', 'ap-singapore']) {
      const result = dialog.locator(`li.result[data-region="${destination}"]`);
      const text = await result.innerText();
      expect(text).toContain('Started');
      const id = /as (snap-[a-z0-9]{8})/.exec(text)?.[1];
      expect(id).toBeDefined();
      targets[destination] = id!;
      const href = await result.getByRole('link', { name: 'Timeline' }).getAttribute('href');
      replications[destination] = href!.split('/').pop()!;
    }
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });
    const sent = await t.api.as(keys.alice).get(`/v1/replications/${replications['ap-shanghai']}`);
    expect(sent.body.deadline).toBe(new Date(local(tomorrow)).toISOString());
  });

  it("shows on hover of the source's info icon every region it is copying to, with state and percent", async () => {
    const icon = row(big).getByRole('button', { name: /Copy status of/ });
    await icon.hover();
    const tip = page.getByRole('tooltip');
    await tip.waitFor();
    expect(await tip.innerText()).toMatch(/Copying to 2 regions/);
    for (const region of ['ap-shanghai', 'ap-singapore'])
      expect(await tip.locator(`[data-region="${region}"]`).innerText()).toMatch(
        new RegExp(
          `${region}\\s+(Copying from remote\\s+\\d+%|Checking copied\\s+100%)\\s+${targets[region]}`,
        ),
      );
    await page.mouse.move(0, 0);
    await tip.waitFor({ state: 'hidden' });
  });

  it('refuses to delete the copying source, with the reason', async () => {
    await row(big)
      .getByRole('button', { name: `Delete ${big}` })
      .click();
    const dialog = page.getByRole('dialog', { name: `Delete ${big}?` });
    await dialog.getByRole('button', { name: 'Delete' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(
      /^Not deleted — Copy in flight\. snapshot snap-\w+ is being copied to ap-shanghai, ap-singapore.*\(UnsupportedOperation\.SnapshotCopying\)$/s,
    );
    await dialog.getByRole('button', { name: 'Close' }).click();
    expect(await row(big).count()).toBe(1);
  });

  it('asks before deleting an arriving copy, then cancels it', async () => {
    await openRegion('ap-singapore');
    const target = targets['ap-singapore']!;
    await row(target).waitFor();
    expect(await row(target).getAttribute('data-state')).toBe('COPYING_FROM_REMOTE');
    await row(target)
      .getByRole('button', { name: `Delete ${target}` })
      .click();
    const dialog = page.getByRole('dialog', { name: `Cancel the copy and delete ${target}?` });
    expect(await dialog.innerText()).toMatch(/still arriving from ap-guangzhou.*cancels the copy/s);
    await dialog.getByRole('button', { name: 'Cancel copy and delete' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText(`${target} deleted; its copy was cancelled.`).waitFor();
    await row(target).waitFor({ state: 'detached' });
    await waitFor(
      async () =>
        (await t.api.as(keys.alice).get(`/v1/replications/${replications['ap-singapore']}`)).body
          .state === 'CANCELLED',
      { what: 'the Singapore copy cancelled', timeoutMs: 20_000 },
    );
  });

  it('shows the arriving copy live: COPYING_FROM_REMOTE with a rising percent, then NORMAL, with no reload', async () => {
    await page.evaluate('window.notReloaded = true');
    await openRegion('ap-shanghai');
    const target = targets['ap-shanghai']!;
    await row(target).waitFor();
    const seen: string[] = [];
    let shot = false;
    await waitFor(
      async () => {
        const state = await row(target).locator('.state').innerText();
        if (seen[seen.length - 1] !== state) seen.push(state);
        const percent = /(\d+)%/.exec(state)?.[1];
        if (!shot && percent && Number(percent) >= 20 && Number(percent) <= 80) {
          shot = true;
          await screenshot(page, 'live-copy');
        }
        return state === 'Normal';
      },
      { what: 'the Shanghai copy NORMAL in the list', timeoutMs: 60_000, intervalMs: 100 },
    );
    const percents = seen
      .map((s) => /^Copying from remote (\d+)%$/.exec(s)?.[1])
      .filter((p): p is string => p !== undefined)
      .map(Number);
    // Several distinct percents, never backwards, strictly between the ends at some point.
    expect(percents.length).toBeGreaterThanOrEqual(3);
    expect([...percents].sort((a, b) => a - b)).toEqual(percents);
    expect(percents.some((p) => p > 0 && p < 100)).toBe(true);
    expect(seen[seen.length - 1]).toBe('Normal');
    expect(shot).toBe(true);
    expect(await page.evaluate('window.notReloaded')).toBe(true);
  });

  it("shows a replication's timeline: requested, started, progress, verifying, completed", async () => {
    const target = targets['ap-shanghai']!;
    await row(target).getByRole('link', { name: 'timeline' }).click();
    await page
      .getByRole('heading', { name: `Replication ${replications['ap-shanghai']}` })
      .waitFor();
    await page.getByTestId('replication-state').filter({ hasText: 'COMPLETED' }).waitFor();
    const types = await page
      .locator('ol.timeline li')
      .evaluateAll((items) => items.map((li) => li.getAttribute('data-type')));
    expect(types).toEqual([
      'ReplicationRequested',
      'ReplicationStarted',
      'ReplicationProgressed',
      'ReplicationVerifying',
      'ReplicationCompleted',
    ]);
    expect(
      await page.locator('ol.timeline li[data-type="ReplicationProgressed"]').innerText(),
    ).toMatch(/\d+% → \d+% \(\d+ updates/);
  });

  it('follows the event log live, filtered by type and by snapshot', async () => {
    await page.getByRole('link', { name: 'Event log' }).click();
    await page.getByText('Following live').waitFor();
    const rows = page.locator('table.events tbody tr[data-type]');
    await waitFor(async () => (await rows.count()) > 20, { what: 'the log caught up' });
    const before = await rows.count();

    // Something happens elsewhere: the page shows it without a reload.
    const fresh = await normalSnapshot(t.api, keys.alice, { diskId: 'disk-aaaa0003' });
    await page.locator('table.events tbody tr', { hasText: `${fresh} data stored` }).waitFor();
    expect(await rows.count()).toBeGreaterThan(before);
    await screenshot(page, 'event-log');

    await page.getByLabel('Type').selectOption('ReplicationCompleted');
    await waitFor(async () => (await rows.count()) === 1, { what: 'one completed copy' });
    expect(await rows.first().innerText()).toContain(replications['ap-shanghai']);

    await page.getByLabel('Type').selectOption('');
    await page.getByLabel('Snapshot').fill(targets['ap-singapore']!);
    await waitFor(
      async () => {
        const types = await rows.evaluateAll((items) =>
          items.map((r) => r.getAttribute('data-type')),
        );
        return types.includes('ReplicationCancelled') && types.includes('SnapshotDeleted') && types;
      },
      { what: 'the cancelled copy’s events' },
    );
    // Its own stream, its replication's, and the source's copy requested / ended.
    const streams = await rows.evaluateAll((items) =>
      items.map((r) => r.querySelectorAll('td')[3]?.textContent),
    );
    expect(new Set(streams)).toEqual(
      new Set([
        `snapshot-${targets['ap-singapore']}`,
        `replication-${replications['ap-singapore']}`,
        `snapshot-${big}`,
      ]),
    );
  });

  it('signs out: the key is gone and the pages ask for one again', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await page.reload();
    await page.getByLabel('API key').waitFor();
  });

  it('never put the key in a URL and logged no console error but the two refusals it provoked', () => {
    expect(watch.urls.length).toBeGreaterThan(10);
    expect(watch.urls.filter((url) => url.includes(keys.alice))).toEqual([]);
    // Chromium logs every answer >= 400 as an error; the wrong key and the refused delete are wanted.
    expect(watch.errors).toEqual([
      `console: Failed to load resource: the server responded with a status of 401 (Unauthorized) @ ${t.url}/v1/regions`,
      `console: Failed to load resource: the server responded with a status of 409 (Conflict) @ ${t.url}/v1/snapshots/${big}`,
    ]);
  });

  async function expectRowCount(n: number): Promise<void> {
    await waitFor(
      async () => (await page.locator('table.snapshots tbody tr[data-snapshot-id]').count()) === n,
      {
        what: `${n} rows`,
        timeoutMs: 10_000,
      },
    );
  }
});
