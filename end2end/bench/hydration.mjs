// `make bench`, item 3: opens an application's Secrets page cold (a new browser context, so an
// empty cache) several times in headless Chromium and prints JSON: the time from navigation
// start to hydrated (the app sets <body data-hydrated> from its first effect), and the wasm,
// JS and CSS as transferred (compressed body bytes, the encoding the server chose, and whether
// the last byte arrived before hydration).
import { chromium } from '@playwright/test';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    base: { type: 'string' },
    user: { type: 'string' },
    password: { type: 'string' },
    application: { type: 'string' },
    runs: { type: 'string', default: '7' },
  },
});

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});

const hydratedMs = [];
let assets = [];
for (let run = 0; run < Number(opt.runs); run++) {
  const context = await browser.newContext();
  const signIn = await context.request.post(`${opt.base}/api/sign_in`, {
    headers: { 'x-csrf-token': '-' },
    form: { username: opt.user, password: opt.password },
  });
  if (!signIn.ok()) throw new Error(`sign-in failed: ${signIn.status()}`);
  const page = await context.newPage();
  // Stamps the moment hydration finishes, on the page's own clock (0 = navigation start).
  await page.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.body?.hasAttribute('data-hydrated')) {
        window.__hydratedAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-hydrated'] });
  });
  const responses = [];
  page.on('response', (response) => responses.push(response));
  await page.goto(`${opt.base}/applications/${opt.application}/secrets`);
  await page.waitForSelector('body[data-hydrated]', { timeout: 30_000 });
  const rows = await page.locator('table tbody tr').count();
  if (rows === 0) throw new Error('the Secrets page shows no secrets');
  const hydratedAt = await page.evaluate(() => window.__hydratedAt);
  if (typeof hydratedAt !== 'number') throw new Error('no hydration time was stamped');
  hydratedMs.push(hydratedAt);
  // A response event fires at the headers: wait for every body, so that each has its timing.
  await Promise.all(responses.map((response) => response.finished()));
  // When each asset's last byte arrived, on the page's clock: what ended after hydration (a lazy
  // chunk fetched later) is not what the user waited for.
  const finished = new Map(await page.evaluate(() => performance.getEntriesByType('resource')
    .map((entry) => [new URL(entry.name).pathname, entry.responseEnd])));
  assets = [];
  for (const response of responses) {
    const url = new URL(response.url());
    const kind = url.pathname.endsWith('.wasm') ? 'wasm'
      : url.pathname.endsWith('.js') ? 'JS'
        : url.pathname.endsWith('.css') ? 'CSS' : null;
    if (!kind) continue;
    const sizes = await response.request().sizes();
    const end = finished.get(url.pathname);
    // Unknown timing would silently drop an asset from the budget: refuse to guess.
    if (end === undefined) throw new Error(`no resource timing for ${url.pathname}`);
    assets.push({
      kind,
      name: url.pathname.split('/').pop(),
      bytes: sizes.responseBodySize,
      encoding: (await response.allHeaders())['content-encoding'] ?? 'identity',
      before_hydrated: end <= hydratedAt,
    });
  }
  // The main bundle is what hydrates the page: it cannot have arrived afterwards.
  const main = assets.filter((a) => a.kind === 'wasm' && /^strongroom\./.test(a.name));
  if (main.length !== 1 || !main[0].before_hydrated) {
    throw new Error(`the main wasm bundle is not counted before hydration: ${JSON.stringify(main)}`);
  }
  await context.close();
}
await browser.close();
console.log(JSON.stringify({ hydrated_ms: hydratedMs, assets }));
