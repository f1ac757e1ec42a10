import { defineConfig } from '@playwright/test';

// Each spec starts its own release-built `strongroom` on a free port with a temporary data
// directory (see tests/server.ts), so it can restart the server mid-test.
export default defineConfig({
  testDir: './tests',
  // A test.only left in by mistake must not silently skip the rest of the suite on CI.
  forbidOnly: !!process.env.CI,
  workers: 1,
  fullyParallel: false,
  timeout: 90_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    trace: 'retain-on-failure',
    launchOptions: {
      // Debian's Chromium: Playwright cannot download its own browser here.
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
});
