import { createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { signIn, StrongroomServer, waitForHydration } from './server';

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

// The Service accounts page, then the key it hands out, used against the Management API.
test.describe.serial('service accounts and API keys', () => {
  const server = new StrongroomServer();
  let credentials: Credentials;

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
      { application_name: 'from-api', secret_name: 'token', secret_value: 'e2e-api-value-51c2' },
      token,
    );
    expect(secret.result[0].secret_id).toBeGreaterThan(0);

    await signIn(page, server);
    await expect(page.getByRole('row', { name: /from-api/ })).toContainText('1');

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

    expect((await callApi(server.url, 'GetApplications', { account_id: '1', api_key: first })).error.code).toBe(100);
    expect((await callApi(server.url, 'GetApplications', { account_id: '1', api_key: second })).total_count).toBe(1);

    // Shown once: a fresh visit shows only when the key was made.
    await page.reload();
    await waitForHydration(page);
    await expect(keyField).toHaveCount(0);
    await expect(page.getByText(/Created \d{4}-\d{2}-\d{2}/)).toBeVisible();
    expect(server.log).not.toContain(second);
    expect(server.log).not.toContain('e2e-api-value-51c2');
  });
});
