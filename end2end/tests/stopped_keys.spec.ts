import { Browser, expect, Page, test } from '@playwright/test';
import { signIn, StrongroomServer, waitForHydration } from './server';

// A service-account key belongs to the user who made it: on the Service accounts page, keys
// whose creator was disabled are listed as stopped, under a banner, for an Owner to revoke;
// an Admin cannot revoke an Owner's key, and the page says why.

const server = new StrongroomServer();

test.beforeAll(async () => {
  await server.start();
});

test.afterAll(async () => {
  await server.dispose();
});

/** Calls a server function from `page` as its signed-in user; the decoded answer. */
async function call(page: Page, fn: string, args: Record<string, string>): Promise<any> {
  const answer = await page.evaluate(
    async ({ fn, args }) => {
      const csrf = document.cookie
        .split('; ')
        .find((c) => c.startsWith('strongroom_csrf='))
        ?.slice('strongroom_csrf='.length);
      const response = await fetch(`/api/${fn}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': csrf ?? '' },
        body: new URLSearchParams(args),
      });
      return { status: response.status, body: await response.text() };
    },
    { fn, args },
  );
  expect(answer.status, `${fn}: ${answer.body}`).toBe(200);
  return JSON.parse(answer.body);
}

async function signedIn(browser: Browser, username?: string, password?: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await signIn(page, server, username, password);
  return page;
}

async function openKeys(page: Page): Promise<void> {
  await page.goto(`${server.url}/service-accounts`);
  await waitForHydration(page);
  await expect(page.getByRole('heading', { name: 'Service accounts', level: 1 })).toBeVisible();
}

test("a disabled Admin's key is listed as stopped and an Owner revokes it", async ({ browser }) => {
  const owner = await signedIn(browser);
  const ada = await call(owner, 'create_user', { username: 'ada', password: 'ada-password-123', role: 'Admin' });
  const ownersKey = (await call(owner, 'create_service_account', { role: 'Owner', description: 'owner key' })).key_id;
  const adaPage = await signedIn(browser, 'ada', 'ada-password-123');
  const adasKey = (await call(adaPage, 'create_service_account', { role: 'Admin', description: 'ada key' })).key_id;

  // Ada may revoke her own key, not the Owner's: that button is disabled, and says why.
  await openKeys(adaPage);
  await expect(adaPage.getByRole('button', { name: `Revoke ${adasKey}` })).toBeEnabled();
  await expect(adaPage.getByRole('button', { name: `Revoke ${ownersKey}` })).toBeDisabled();
  await expect(adaPage.getByRole('row', { name: new RegExp(ownersKey) })).toContainText('Only Owner or higher');
  await expect(adaPage.getByTestId('stopped-keys')).toHaveCount(0);

  await call(owner, 'set_user_disabled', { id: String(ada.id), disabled: 'true' });
  await openKeys(owner);
  await expect(owner.getByTestId('stopped-keys')).toContainText('1 key(s) no longer work');
  const adasRow = owner.getByRole('row', { name: new RegExp(adasKey) });
  await expect(adasRow).toContainText('Stopped: ada is disabled.');
  await expect(owner.getByRole('row', { name: new RegExp(ownersKey) })).not.toContainText('Stopped');

  await owner.getByRole('button', { name: `Revoke ${adasKey}` }).click();
  await owner.getByRole('button', { name: 'Revoke key' }).click();
  await expect(adasRow).toHaveCount(0);
  await expect(owner.getByTestId('stopped-keys')).toHaveCount(0);
  await expect(owner.getByRole('row', { name: new RegExp(ownersKey) })).toBeVisible();
  await owner.context().close();
  await adaPage.context().close();
});
