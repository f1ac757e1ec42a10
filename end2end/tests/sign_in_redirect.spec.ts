import { expect, Page, test } from '@playwright/test';
import { OWNER_PASSWORD, OWNER_USERNAME, StrongroomServer, waitForHydration } from './server';

// After signing in, the sign-in page goes to its `next` parameter. Chromium's URL parser drops
// tabs and newlines anywhere in a URL and reads `\` as `/`, so a `next` that looks like a path
// can name another host: `/\t/evil.example` is `//evil.example`. Each case signs in, in
// Chromium, with such a `next` and must end on this server.

const server = new StrongroomServer();

test.beforeAll(async () => {
  await server.start();
});

test.afterAll(async () => {
  await server.dispose();
});

/**
 * Signs in at `/sign-in?next=<query>` (`query` as it stands in the URL) and returns the URL the
 * browser ends on and every request it made to another host. Another host would not answer
 * here (no network), so such requests get a page: an escape is seen as a page load, not as a
 * network error that could pass for something else.
 */
async function signInWithNext(page: Page, query: string): Promise<{ url: URL; elsewhere: string[] }> {
  const host = new URL(server.url).host;
  const elsewhere: string[] = [];
  await page.route(
    (url) => url.host !== host,
    (route) => {
      elsewhere.push(route.request().url());
      return route.fulfill({ contentType: 'text/html', body: '<h1>Somewhere else</h1>' });
    },
  );
  await page.goto(`${server.url}/sign-in?next=${query}`);
  await expect(page).toHaveURL(/\/sign-in\?next=/);
  await waitForHydration(page);
  await page.getByLabel('Username').fill(OWNER_USERNAME);
  await page.getByLabel('Password', { exact: true }).fill(OWNER_PASSWORD);
  await Promise.all([
    page.waitForURL((url) => url.host !== host || url.pathname !== '/sign-in', { waitUntil: 'load' }),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  return { url: new URL(page.url()), elsewhere };
}

const escapes: [string, string][] = [
  ['a tab', '%2F%09%2Fevil.example'],
  ['a newline', '%2F%0A%2Fevil.example'],
  ['a carriage return', '%2F%0D%2Fevil.example'],
  ['a tab before the slashes', '%09%2F%2Fevil.example'],
  ['a backslash', '/\\evil.example'],
  ['an encoded backslash', '%2F%5Cevil.example'],
  ['a tab and a backslash', '%2F%09%5Cevil.example'],
  ['two slashes', '//evil.example'],
  ['two encoded slashes', '%2F%2Fevil.example'],
  ['a full URL', 'http%3A%2F%2Fevil.example%2F'],
  // The parser removes dot segments, which can leave `//` behind.
  ['a dot segment', '%2F.%2F%2Fevil.example'],
  ['a dot-dot segment', '%2Fx%2F..%2F%2Fevil.example'],
  ['an encoded dot segment', '%2F%252e%2F%2Fevil.example'],
  ['an encoded dot-dot segment', '%2Fx%2F%252E%252e%2F%2Fevil.example'],
];

for (const [what, query] of escapes) {
  test(`a next with ${what} ends on this site`, async ({ page }) => {
    const { url, elsewhere } = await signInWithNext(page, query);
    expect(elsewhere).toEqual([]);
    expect(url.origin).toBe(server.url);
    expect(url.pathname).toBe('/');
    await waitForHydration(page);
    await expect(page.getByTestId('current-user')).toHaveText(OWNER_USERNAME);
  });
}

test('a next on this site is honoured', async ({ page }) => {
  const { url, elsewhere } = await signInWithNext(page, '%2Fusers');
  expect(elsewhere).toEqual([]);
  expect(url.href).toBe(`${server.url}/users`);
  await waitForHydration(page);
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
});

test('a tab inside a path on this site is dropped, as the browser drops it', async ({ page }) => {
  const { url, elsewhere } = await signInWithNext(page, '%2Fus%09ers');
  expect(elsewhere).toEqual([]);
  expect(url.href).toBe(`${server.url}/users`);
});
