import { expect, test } from '@playwright/test';
import { signIn, StrongroomServer, waitForHydration } from './server';

test.describe.serial('many secrets', () => {
  const server = new StrongroomServer();

  test.beforeAll(async () => {
    await server.start();
  });

  test.afterAll(async () => {
    await server.dispose();
  });

  test('pages, page size and a name filter live in the URL and survive a reload', async ({ page }) => {
    await signIn(page, server);
    await page.getByRole('button', { name: 'New application' }).first().click();
    const appDialog = page.getByRole('dialog', { name: 'New application' });
    await appDialog.getByLabel('Name').fill('bulk');
    await appDialog.getByLabel('Name').press('Enter');
    await expect(page).toHaveURL(/\/applications\/\d+\/secrets$/);
    server.importSecrets('bulk', 120);
    await page.reload();
    await waitForHydration(page);

    const range = page.getByTestId('secrets-range');
    const rows = page.locator('table tbody tr');
    await expect(range).toHaveText('1–50 of 120 secrets');
    await expect(rows).toHaveCount(50);
    await expect(rows.first()).toContainText('key_000');

    await page.getByRole('link', { name: 'Next' }).click();
    await expect(page).toHaveURL(/page=2/);
    await expect(range).toHaveText('51–100 of 120 secrets');
    await expect(rows.first()).toContainText('key_050');

    await page.getByLabel('Per page').selectOption('25');
    await expect(page).toHaveURL(/size=25/);
    await expect(page).not.toHaveURL(/page=/);
    await expect(range).toHaveText('1–25 of 120 secrets');
    await expect(rows).toHaveCount(25);

    await page.getByLabel('Name contains').fill('KEY_11');
    await expect(page).toHaveURL(/q=KEY_11/);
    await expect(range).toHaveText('10 secrets');
    await expect(rows.first()).toContainText('key_110');

    // The filtered view is an address: a reload (or a shared link) shows the same.
    await page.reload();
    await waitForHydration(page);
    await expect(page.getByLabel('Name contains')).toHaveValue('KEY_11');
    await expect(page.getByLabel('Per page')).toHaveValue('25');
    await expect(range).toHaveText('10 secrets');

    await page.getByLabel('Name contains').fill('zzz');
    await expect(page.getByText('No secret\'s name contains \u201czzz\u201d.')).toBeVisible();
    await page.getByRole('link', { name: 'Show all secrets' }).click();
    await expect(range).toHaveText('1–25 of 120 secrets');
    await expect(page.getByLabel('Name contains')).toHaveValue('');
  });

  test('assets are precompressed, content-hashed and cached for a year; pages are compressed', async ({ page }) => {
    // Each response is waited for by a listener set up before the navigation that brings it, and
    // its headers are awaited before they are read: nothing arrives unseen or half-read.
    const assetPattern = (ext: string) => new RegExp(`/pkg/strongroom\\.[A-Za-z0-9_-]{16,}\\.${ext}$`);
    const exts = ['wasm', 'js', 'css'];
    const [html, ...assets] = await Promise.all([
      page.goto(`${server.url}/sign-in`),
      // A missing asset ends as null, for the assertion below to name it.
      ...exts.map((ext) => page.waitForResponse((r) => assetPattern(ext).test(r.url())).catch(() => null)),
    ]);
    await waitForHydration(page);
    expect(new URL(html!.url()).pathname).toBe('/sign-in');
    const htmlHeaders = await html!.allHeaders();
    expect(htmlHeaders['content-encoding']).toMatch(/^(br|gzip)$/);
    expect(htmlHeaders['cache-control']).toBe('no-store');
    for (const [i, ext] of exts.entries()) {
      const asset = assets[i];
      expect(asset, `a content-hashed .${ext}`).toBeTruthy();
      const headers = await asset!.allHeaders();
      expect(headers['content-encoding'], ext).toBe('br');
      expect(headers['cache-control'], ext).toBe('public, max-age=31536000, immutable');
      expect(headers['vary'], ext).toContain('accept-encoding');
    }
  });
});
