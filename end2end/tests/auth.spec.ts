import { expect, Page, test } from '@playwright/test';
import {
  expectNotInLog,
  OWNER_PASSWORD,
  OWNER_USERNAME,
  signIn,
  StrongroomServer,
  waitForHydration,
} from './server';

/** Fills the sign-in form and submits it; the caller checks what happens next. */
async function submitSignIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test.describe('first-run setup', () => {
  // At debug level, so that a password logged at debug would show too.
  const server = new StrongroomServer({ fresh: true, logLevel: 'debug' });

  test.beforeAll(async () => {
    await server.start();
  });

  test.afterAll(async () => {
    await server.dispose();
  });

  test('the setup code from the log creates the first Owner, once', async ({ page }) => {
    const code = await server.setupCode();
    expect(code).toMatch(/^[A-Z0-9]{5}(-[A-Z0-9]{5}){3}$/);

    // With no user, every page leads to setup; so does the sign-in page.
    await page.goto(server.url);
    await expect(page).toHaveURL(/\/setup$/);
    await page.goto(`${server.url}/sign-in`);
    await expect(page).toHaveURL(/\/setup$/);
    await waitForHydration(page);
    await expect(page.getByRole('heading', { name: 'Set up Strongroom' })).toBeVisible();

    await page.getByLabel('Setup code').fill('AAAAA-BBBBB-CCCCC-DDDDD');
    await page.getByLabel('Username').fill('First.Owner');
    await page.getByLabel('Password', { exact: true }).fill('first-owner-password-3e9b');
    await page.getByLabel('Repeat the password').fill('first-owner-password-3e9b');
    await page.getByRole('button', { name: 'Create Owner and sign in' }).click();
    await expect(page.locator('#setup-code-error')).toContainText('The setup code is wrong');
    await expect(page).toHaveURL(/\/setup$/);
    await expect(page.getByTestId('current-user')).toHaveCount(0);

    await page.getByLabel('Setup code').fill(code);
    await Promise.all([
      page.waitForURL((url) => url.pathname === '/', { waitUntil: 'load' }),
      page.getByRole('button', { name: 'Create Owner and sign in' }).click(),
    ]);
    await waitForHydration(page);
    await expect(page.getByTestId('current-user')).toHaveText('first.owner');
    await expect(page.locator('.role-badge')).toHaveText('Owner');
    const nav = page.getByRole('navigation', { name: 'Main' });
    for (const link of ['Applications', 'Service accounts', 'Users', 'Audit']) {
      await expect(nav.getByRole('link', { name: link })).toBeVisible();
    }

    // Setup is over: signed in, /setup leads home; signed out, to the sign-in page.
    await page.goto(`${server.url}/setup`);
    await expect(page).toHaveURL(`${server.url}/`);
    await waitForHydration(page);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/sign-in$/);
    await page.goto(`${server.url}/setup`);
    await expect(page).toHaveURL(/\/sign-in$/);
    await waitForHydration(page);

    // The code is spent: sent straight to the server function, it makes no second Owner.
    const replay = await page.evaluate(async (code) => {
      const response = await fetch('/api/complete_setup', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': '-' },
        body: new URLSearchParams({ code, username: 'second-owner', password: 'second-owner-password-1' }),
      });
      return { status: response.status, body: await response.text() };
    }, code);
    expect(replay.status).toBe(403);
    expect(replay.body).toContain('Setup is done');
    await submitSignIn(page, 'second-owner', 'second-owner-password-1');
    await expect(page.getByTestId('sign-in-error')).toHaveText('Wrong username or password.');

    await submitSignIn(page, 'first.owner', 'first-owner-password-3e9b');
    await expect(page).toHaveURL(`${server.url}/`);
    await waitForHydration(page);
    await expect(page.getByTestId('current-user')).toHaveText('first.owner');

    // Stopped first, so every line is written. The log is this run's: the code is in it.
    const log = await server.stoppedLog();
    expect(log).toContain(code);
    expectNotInLog(log, {
      'the first Owner’s password': 'first-owner-password-3e9b',
      'the refused second Owner’s password': 'second-owner-password-1',
    });
  });
});

test.describe('signing in and out', () => {
  const server = new StrongroomServer();

  test.beforeAll(async () => {
    await server.start();
  });

  test.afterAll(async () => {
    await server.dispose();
  });

  test('a page asked for while signed out opens after signing in', async ({ page }) => {
    await page.goto(`${server.url}/audit?action=sign_in`);
    await expect(page).toHaveURL(
      (url) => url.pathname === '/sign-in' && url.searchParams.get('next') === '/audit?action=sign_in',
    );
    await waitForHydration(page);

    await submitSignIn(page, OWNER_USERNAME, 'not-the-password-1234');
    await expect(page.getByTestId('sign-in-error')).toHaveText('Wrong username or password.');
    await expect(page).toHaveURL(/\/sign-in\?next=/);
    // An unknown user gets the very same answer (on a fresh page, so it is a new message).
    await page.reload();
    await waitForHydration(page);
    await expect(page.getByTestId('sign-in-error')).toBeEmpty();
    await submitSignIn(page, 'nobody-here', OWNER_PASSWORD);
    await expect(page.getByTestId('sign-in-error')).toHaveText('Wrong username or password.');

    await submitSignIn(page, OWNER_USERNAME, OWNER_PASSWORD);
    await expect(page).toHaveURL(`${server.url}/audit?action=sign_in`);
    await waitForHydration(page);
    await expect(page.getByTestId('current-user')).toHaveText(OWNER_USERNAME);
    await expect(page.getByRole('heading', { name: 'Audit log' })).toBeVisible();
    // The failed and the successful attempt are both on record.
    await expect(page.locator('tr[data-action="sign_in"] .outcome-failure')).toHaveCount(2);
    await expect(page.locator('tr[data-action="sign_in"] .outcome-success')).toHaveCount(1);
  });

  test('signing out ends the session on the server, and signing in again works', async ({ page, context }) => {
    await signIn(page, server);
    const signedIn = await context.cookies();
    expect(signedIn.map((c) => c.name)).toContain('strongroom_session');
    const ownerRow = page.getByRole('row', { name: /owner \(you\)/ });

    // The control: these cookies, put into an empty jar the way they are put back below, open
    // the Users page and show who is on it. So the refusal below is the ended session's doing,
    // not a replay that carries nothing or a page that shows nobody.
    await context.clearCookies();
    await context.addCookies(signedIn);
    await page.goto(`${server.url}/users`);
    await expect(page).toHaveURL(`${server.url}/users`);
    await waitForHydration(page);
    await expect(page.getByTestId('current-user')).toHaveText(OWNER_USERNAME);
    await expect(ownerRow).toBeVisible();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/sign-in$/);
    await waitForHydration(page);
    await expect(page.getByTestId('current-user')).toHaveCount(0);
    await page.goto(server.url);
    await expect(page).toHaveURL(/\/sign-in$/);

    // The old session cookie, put back, no longer opens anything.
    await context.clearCookies();
    await context.addCookies(signedIn);
    await page.goto(`${server.url}/users`);
    await expect(page).toHaveURL(/\/sign-in\?next=%2Fusers$/);
    await expect(page.getByTestId('current-user')).toHaveCount(0);
    await expect(ownerRow).toHaveCount(0);

    await waitForHydration(page);
    await submitSignIn(page, OWNER_USERNAME, 'wrong-password-5678');
    await expect(page.getByTestId('sign-in-error')).toHaveText('Wrong username or password.');
    await submitSignIn(page, OWNER_USERNAME, OWNER_PASSWORD);
    await expect(page).toHaveURL(`${server.url}/users`);
    await waitForHydration(page);
    await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
    await expect(ownerRow).toContainText('Owner');
  });
});

// One story on a server whose step-up window is long, except while the step-up test waits one
// out: an Owner stores a secret, reveals and copies it (typing the password again once the
// window has passed), the audit log shows each read, and a Viewer sees the name but can read no
// value.
test.describe.serial('reading values: step-up, copy, audit, roles', () => {
  // A window no machine is too slow for, for every read meant to fall inside it; and a short
  // one, to wait out.
  const longWindow = ['--step-up-secs', '600'];
  const shortWindowSecs = 1;
  // At debug level, so that a value logged at debug would show too (see the last test).
  const server = new StrongroomServer({ args: longWindow, logLevel: 'debug' });
  const value = 'sk_live_e2e-9f3a7c51d0';
  const viewer = { username: 'Vera.Viewer', password: 'viewer-password-b81e' };
  let secretsPath = '';

  test.beforeAll(async () => {
    await server.start();
  });

  test.afterAll(async () => {
    await server.dispose();
  });

  /** Opens the Secrets page while signed out and signs in from there: the page is reloaded
   * right after the password was typed, so the step-up is as fresh as it gets. */
  async function signInToSecrets(page: Page, username: string, password: string): Promise<void> {
    await page.goto(`${server.url}${secretsPath}`);
    await expect(page).toHaveURL(/\/sign-in\?next=/);
    await waitForHydration(page);
    await submitSignIn(page, username, password);
    await expect(page).toHaveURL(`${server.url}${secretsPath}`);
    await waitForHydration(page);
    await expect(page.getByTestId('current-user')).toHaveText(username.toLowerCase());
  }

  const row = (page: Page) => page.getByRole('row', { name: /STRIPE_KEY/ });
  const revealed = (page: Page) => page.getByTestId('revealed-value');

  test('an Owner adds an application, a secret and a Viewer', async ({ page }) => {
    await signIn(page, server);
    await page.getByRole('button', { name: 'New application' }).first().click();
    const appDialog = page.getByRole('dialog', { name: 'New application' });
    await appDialog.getByLabel('Name').fill('payments');
    await appDialog.getByLabel('Name').press('Enter');
    await expect(page).toHaveURL(/\/applications\/\d+\/secrets$/);
    secretsPath = new URL(page.url()).pathname;

    await page.getByRole('button', { name: 'Add secret' }).first().click();
    const secretDialog = page.getByRole('dialog', { name: 'Add secret' });
    await secretDialog.getByLabel('Name').fill('STRIPE_KEY');
    await secretDialog.getByLabel('Value').fill(value);
    await secretDialog.getByLabel('Description').fill('Live key');
    await secretDialog.getByRole('button', { name: 'Add secret' }).click();
    await expect(secretDialog).toBeHidden();
    await expect(row(page)).toContainText('Live key');
    await expect(row(page).locator('td').nth(2)).toHaveText('Never');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await expect(page).toHaveURL(/\/users$/);
    await page.getByRole('button', { name: 'Add user' }).click();
    const userDialog = page.getByRole('dialog', { name: 'Add user' });
    await userDialog.getByLabel('Username').fill(viewer.username);
    await userDialog.getByLabel('Initial password').fill(viewer.password);
    await userDialog.getByLabel('Role').selectOption('Viewer');
    await userDialog.getByRole('button', { name: 'Add user' }).click();
    await expect(userDialog).toBeHidden();
    const viewerRow = page.getByRole('row', { name: /vera\.viewer/ });
    await expect(viewerRow).toContainText('Viewer');
    await expect(viewerRow).toContainText('Active');
  });

  test('Reveal asks for the password again once the step-up window has passed', async ({ page }) => {
    await signInToSecrets(page, OWNER_USERNAME, OWNER_PASSWORD);
    // The password was typed before this: the page reloads once the server has accepted it.
    const signedIn = Date.now();
    const stepUp = page.getByRole('dialog', { name: 'Confirm your password' });

    // Just signed in, well inside the long window: the value shows at once, no questions asked.
    await page.getByRole('button', { name: 'Reveal STRIPE_KEY' }).click();
    await expect(row(page).getByTestId('revealed-value')).toHaveText(value);
    await expect(stepUp).toHaveCount(0);
    await page.getByRole('button', { name: 'Hide STRIPE_KEY' }).click();
    await expect(revealed(page)).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Reveal STRIPE_KEY' })).toHaveText('Reveal');

    // The same data (sessions included) under a 1 s window, waited out: the server counts whole
    // seconds, so a password stays fresh up to a second past the window; one more to spare.
    // Waiting longer is always safe.
    await server.restart(['--step-up-secs', String(shortWindowSecs)]);
    await page.waitForTimeout(Math.max(0, signedIn + (shortWindowSecs + 2) * 1_000 - Date.now()));
    await page.getByRole('button', { name: 'Reveal STRIPE_KEY' }).click();
    await expect(stepUp).toBeVisible();
    await expect(stepUp.getByLabel('Password')).toBeFocused();
    await expect(revealed(page)).toHaveCount(0);

    await stepUp.getByLabel('Password').fill('not-my-password-000');
    await stepUp.getByRole('button', { name: 'Confirm' }).click();
    await expect(stepUp.locator('#step-up-password-error')).toHaveText('That is not your password.');
    await expect(revealed(page)).toHaveCount(0);

    // Back on the long window (the dialog stays open: the page makes no call meanwhile), so the
    // retried reveal cannot miss it. The right password closes the dialog and the reveal goes on
    // by itself.
    await server.restart(longWindow);
    await stepUp.getByLabel('Password').fill(OWNER_PASSWORD);
    await stepUp.getByRole('button', { name: 'Confirm' }).click();
    await expect(stepUp).toBeHidden();
    await expect(row(page).getByTestId('revealed-value')).toHaveText(value);
    await expect(page.getByRole('button', { name: 'Hide STRIPE_KEY' })).toHaveText('Hide');
  });

  test('Copy puts the value on the clipboard without showing it', async ({ page, context }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await signInToSecrets(page, OWNER_USERNAME, OWNER_PASSWORD);
    // Something else on the clipboard first, so only a working Copy can put the value there.
    await page.evaluate(() => navigator.clipboard.writeText('placeholder'));

    const copy = page.getByRole('button', { name: 'Copy STRIPE_KEY' });
    await copy.click();
    await expect(copy).toHaveText('Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(value);
    await expect(page.getByRole('dialog', { name: 'Confirm your password' })).toHaveCount(0);
    await expect(revealed(page)).toHaveCount(0);
    expect(await page.content()).not.toContain(value);
  });

  test('the Audit page shows the reveals and the copy; Last read is set', async ({ page }) => {
    await signIn(page, server);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
    await expect(page).toHaveURL(/\/audit$/);
    await waitForHydration(page);

    await page.getByLabel('Application').fill('payments');
    await page.getByLabel('Secret').fill('STRIPE_KEY');
    await page.getByLabel('Actor').fill(OWNER_USERNAME);
    await page.getByLabel('Action').selectOption('secret.read');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect(page).toHaveURL(/[?&]action=secret\.read(&|$)/);
    await expect(page).toHaveURL(/[?&]secret=STRIPE_KEY(&|$)/);
    await expect(page).toHaveURL(/[?&]application=payments(&|$)/);
    await expect(page).toHaveURL(/[?&]actor=owner(&|$)/);

    // Two reveals (one before, one after the step-up) and one copy, newest first; the prompt
    // that was refused read nothing.
    const reads = page.locator('tbody tr');
    await expect(reads).toHaveCount(3);
    await expect(page.locator('tr[data-action="secret.read"]')).toHaveCount(3);
    const details = reads.locator('td:nth-child(7)');
    await expect(details).toHaveText(['copy', 'reveal', 'reveal']);
    for (let i = 0; i < 3; i++) {
      const cells = reads.nth(i).locator('td');
      await expect(cells.nth(1)).toContainText(OWNER_USERNAME);
      await expect(cells.nth(2)).toHaveText('panel · 127.0.0.1');
      await expect(cells.nth(3)).toHaveText('secret.read');
      await expect(cells.nth(4)).toHaveText('payments / STRIPE_KEY');
      await expect(cells.nth(5)).toHaveText('success');
    }

    // The filters survive a reload: they live in the URL.
    await page.reload();
    await waitForHydration(page);
    await expect(page.getByLabel('Secret')).toHaveValue('STRIPE_KEY');
    await expect(page.getByLabel('Action')).toHaveValue('secret.read');
    await expect(page.locator('tr[data-action="secret.read"]')).toHaveCount(3);

    // The wrong password at the step-up is on record too, as a failure.
    await page.goto(`${server.url}/audit?action=password.confirm`);
    await waitForHydration(page);
    await expect(page.locator('tr[data-action="password.confirm"] .outcome-failure')).toHaveCount(1);
    await expect(page.locator('tr[data-action="password.confirm"] .outcome-success')).toHaveCount(1);
    expect(await page.content()).not.toContain(value);

    await page.goto(`${server.url}${secretsPath}`);
    await waitForHydration(page);
    const lastRead = row(page).locator('td').nth(2);
    await expect(lastRead).not.toHaveText('Never');
    await expect(lastRead).toHaveText(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
  });

  test('a Viewer sees the secret’s name but can read no value', async ({ page }) => {
    await signInToSecrets(page, viewer.username, viewer.password);
    await expect(page.locator('.role-badge')).toHaveText('Viewer');
    const nav = page.getByRole('navigation', { name: 'Main' });
    await expect(nav.getByRole('link', { name: 'Applications' })).toBeVisible();
    for (const hidden of ['Service accounts', 'Users', 'Audit']) {
      await expect(nav.getByRole('link', { name: hidden })).toHaveCount(0);
    }

    await expect(row(page)).toContainText('Live key');
    for (const action of ['Reveal', 'Copy', 'Edit', 'Delete']) {
      await expect(page.getByRole('button', { name: `${action} STRIPE_KEY` })).toHaveCount(0);
    }
    await expect(row(page).getByRole('button')).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Add secret' })).toHaveCount(0);

    // Hidden buttons are not the protection: the server refuses the call itself, and says why.
    const [, applicationId] = secretsPath.match(/\/applications\/(\d+)\//)!;
    const answer = await page.evaluate(async (applicationId) => {
      const csrf = document.cookie
        .split('; ')
        .find((c) => c.startsWith('strongroom_csrf='))
        ?.slice('strongroom_csrf='.length);
      const response = await fetch('/api/read_secret_value', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': csrf ?? '' },
        body: new URLSearchParams({ application_id: applicationId, secret_id: '1', purpose: 'Reveal' }),
      });
      return { status: response.status, body: await response.text() };
    }, applicationId);
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('Your role (Viewer) may not do this');
    expect(answer.body).not.toContain(value);
    expect(await page.content()).not.toContain(value);

    // Pages for higher roles are refused too.
    await page.goto(`${server.url}/audit`);
    await waitForHydration(page);
    await expect(page.getByRole('alert').filter({ hasText: 'Your role (Viewer) may not do this' })).toBeVisible();
    await expect(page.locator('tr[data-action]')).toHaveCount(0);
    expect(await page.content()).not.toContain(value);
  });

  test('the server log never holds the value or a password', async () => {
    // Stopped first, so every line is written.
    const log = await server.stoppedLog();
    expect(log).toContain('Created the Owner "owner"');
    // The log is the one of these requests, at debug level: the secret write is in it.
    expect(log).toMatch(/ DEBUG summary="INSERT INTO secrets /);
    expectNotInLog(log, {
      'the value': value,
      'the Owner’s password': OWNER_PASSWORD,
      'the Viewer’s password': viewer.password,
      'the wrong step-up password': 'not-my-password-000',
    });
  });
});
