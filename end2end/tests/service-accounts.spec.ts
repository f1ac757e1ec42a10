import { createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, Locator, Page, test } from '@playwright/test';
import { expectNotInLog, OWNER_PASSWORD, signIn, StrongroomServer, waitForHydration } from './server';

interface Credentials {
  account_email: string;
  account_id: number;
  key_id: string;
  private_key: string;
}

/** An RS256 JWT the way the official clients build one: kid header, iss = account id. */
function jwt(credentials: Credentials): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const signingInput = `${encode({ alg: 'RS256', typ: 'JWT', kid: credentials.key_id })}.${encode({
    iss: String(credentials.account_id),
    iat: now - 5,
    exp: now + 60,
  })}`;
  const signature = createSign('RSA-SHA256').update(signingInput).sign(credentials.private_key);
  return `${signingInput}.${signature.toString('base64url')}`;
}

async function callApi(
  base: string,
  method: string,
  params: Record<string, string>,
  bearer?: string,
): Promise<any> {
  const response = await fetch(`${base}/platform_api/${method}`, {
    method: 'POST',
    headers: bearer ? { Authorization: `Bearer ${bearer}` } : {},
    body: new URLSearchParams(params),
  });
  expect(response.status).toBe(200);
  return response.json();
}

/**
 * The cell of `row` in the column whose header reads exactly `header`, found by its position
 * among the headers, so the assertion is on that cell alone, not on the whole row.
 */
async function cellUnder(page: Page, row: Locator, header: string): Promise<Locator> {
  // Waits for the table, and makes sure the header is there, once.
  await expect(page.getByRole('columnheader', { name: header, exact: true })).toHaveCount(1);
  const headers = await page.locator('thead th').allTextContents();
  const index = headers.findIndex((text) => text.trim() === header);
  // `nth(-1)` would quietly be the last cell.
  expect(index, `the column headed "${header}" among ${JSON.stringify(headers)}`).toBeGreaterThanOrEqual(0);
  return row.locator('th, td').nth(index);
}

// The Service accounts page, then the key it hands out, used against the Management API.
test.describe.serial('service accounts and API keys', () => {
  // At debug level, so that a key or value logged at debug would show too (see the last test).
  const server = new StrongroomServer({ logLevel: 'debug' });
  let credentials: Credentials;
  const apiKeys: string[] = [];
  const apiValue = 'e2e-api-value-51c2';

  test.beforeAll(async () => {
    await server.start();
  });

  test.afterAll(async () => {
    await server.dispose();
  });

  test('create a key and download credentials.json once', async ({ page }) => {
    await signIn(page, server);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Service accounts' }).click();
    await expect(page).toHaveURL(/\/service-accounts$/);
    await expect(page.getByRole('heading', { name: 'No service-account keys yet' })).toBeVisible();
    await expect(page.getByTestId('account-id')).toHaveText('1');

    await page.getByRole('button', { name: 'New key' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'New service-account key' });
    await expect(dialog.getByLabel('Role')).toBeFocused();
    await dialog.getByLabel('Role').selectOption('Owner');
    await dialog.getByLabel('Description').fill('e2e robot');
    await dialog.getByRole('button', { name: 'Create key' }).click();

    const downloadButton = dialog.getByRole('button', { name: 'Download credentials.json' });
    await expect(downloadButton).toBeVisible();
    const [download] = await Promise.all([page.waitForEvent('download'), downloadButton.click()]);
    expect(download.suggestedFilename()).toBe('credentials.json');
    credentials = JSON.parse(readFileSync(await download.path(), 'utf8'));
    expect(credentials.account_id).toBe(1);
    expect(credentials.account_email).toContain('@');
    expect(credentials.key_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(credentials.private_key).toContain('-----BEGIN PRIVATE KEY-----');

    await dialog.getByRole('button', { name: 'Done' }).click();
    await expect(dialog).toBeHidden();
    const row = page.getByRole('row', { name: new RegExp(credentials.key_id) });
    await expect(row).toContainText('Owner');
    await expect(row).toContainText('e2e robot');
    await expect(row).toContainText('Never');

    // The page never carries a private key, not even right after creating one (fetched with
    // this browser's session: the server-rendered page, which lists the new key).
    const response = await page.request.get(`${server.url}/service-accounts`);
    expect(new URL(response.url()).pathname).toBe('/service-accounts');
    const html = await response.text();
    expect(html).toContain(credentials.key_id);
    expect(html).not.toContain('PRIVATE KEY');
  });

  test('the downloaded key works, and its use shows in the panel', async ({ page }) => {
    const token = jwt(credentials);
    const added = await callApi(server.url, 'AddApplication', { application_name: 'from-api' }, token);
    expect(added.result).toBe(1);
    expect(added.application_name).toBe('from-api.default.strongroom');
    const secret = await callApi(
      server.url,
      'AddSecret',
      { application_name: 'from-api', secret_name: 'token', secret_value: apiValue },
      token,
    );
    expect(secret.result[0].secret_id).toBeGreaterThan(0);

    await signIn(page, server);
    // The count cell itself: the row's timestamp has digits too.
    const application = page.getByRole('row', { name: /from-api/ });
    await expect(await cellUnder(page, application, 'Secrets')).toHaveText('1');

    await page.goto(`${server.url}/service-accounts`);
    await waitForHydration(page);
    const row = page.getByRole('row', { name: new RegExp(credentials.key_id) });
    await expect(row).not.toContainText('Never');
    await expect(row).toContainText(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}.*\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
  });

  test('revoking a key stops it at once', async ({ page }) => {
    await signIn(page, server);
    await page.goto(`${server.url}/service-accounts`);
    await waitForHydration(page);
    await page.getByRole('button', { name: `Revoke ${credentials.key_id}` }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke key' });
    await expect(confirm).toContainText('cannot be undone');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByRole('row', { name: new RegExp(credentials.key_id) })).toBeVisible();

    await page.getByRole('button', { name: `Revoke ${credentials.key_id}` }).click();
    await page.getByRole('dialog', { name: 'Revoke key' }).getByRole('button', { name: 'Revoke key' }).click();
    await expect(page.getByRole('heading', { name: 'No service-account keys yet' })).toBeVisible();

    const refused = await callApi(server.url, 'GetApplications', {}, jwt(credentials));
    expect(refused.error.code).toBe(100);
  });

  test('the legacy API key is shown once and regenerating replaces it', async ({ page }) => {
    await signIn(page, server);
    await page.goto(`${server.url}/service-accounts`);
    await waitForHydration(page);
    await page.getByRole('button', { name: 'Generate API key' }).click();
    const keyField = page.locator('#new-api-key');
    await expect(keyField).toHaveValue(/^[A-Za-z0-9_-]{43}$/);
    const first = await keyField.inputValue();
    apiKeys.push(first);
    await expect(page.getByRole('button', { name: 'Regenerate API key' })).toBeVisible();

    const listed = await callApi(server.url, 'GetApplications', { account_id: '1', api_key: first });
    expect(listed.total_count).toBe(1);

    await page.getByRole('button', { name: 'Regenerate API key' }).click();
    const confirm = page.getByRole('dialog', { name: 'Regenerate API key' });
    await expect(confirm).toContainText('stops working at once');
    await confirm.getByRole('button', { name: 'Regenerate' }).click();
    await expect(confirm).toBeHidden();
    await expect(keyField).not.toHaveValue(first);
    const second = await keyField.inputValue();
    apiKeys.push(second);

    expect((await callApi(server.url, 'GetApplications', { account_id: '1', api_key: first })).error.code).toBe(100);
    expect((await callApi(server.url, 'GetApplications', { account_id: '1', api_key: second })).total_count).toBe(1);

    // Shown once: a fresh visit shows only when the key was made.
    await page.reload();
    await waitForHydration(page);
    await expect(keyField).toHaveCount(0);
    await expect(page.getByText(/Created \d{4}-\d{2}-\d{2}/)).toBeVisible();
  });

  test('the server log never holds a key, the value or the password', async () => {
    // Stopped first, so every line is written.
    const log = await server.stoppedLog();
    // The log is the one of these requests, at debug level: the API's secret write is in it.
    expect(log).toMatch(/ DEBUG summary="INSERT INTO secrets /);
    expect(apiKeys).toHaveLength(2);
    expectNotInLog(log, {
      'the first API key': apiKeys[0],
      'the regenerated API key': apiKeys[1],
      'the private key': credentials.private_key,
      'the value added through the API': apiValue,
      'the password': OWNER_PASSWORD,
    });
  });
});
