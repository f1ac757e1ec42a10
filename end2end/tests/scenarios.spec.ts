import { expect, test } from '@playwright/test';
import { signIn, StrongroomServer } from './server';

// The example from the issue and platform-api.md, verbatim.
const EXAMPLE = `VoxEngine.addEventListener(AppEvents.Started, () => {
  const secretKey = 'test';
  const secret = VoxEngine.getSecretValue(secretKey);
  const message = typeof secret === 'undefined' ? 'The secret value is undefined!' : secret;
  Logger.write(\`===> \${message}\`);
  VoxEngine.terminate();
});
`;

test.describe.serial('scenarios', () => {
  const server = new StrongroomServer();
  const value = 'scenario-value-5d2a';

  test.beforeAll(async () => {
    await server.start();
  });

  test.afterAll(async () => {
    await server.dispose();
  });

  test('the example reads secret test, then undefined once it is deleted', async ({ page }) => {
    await signIn(page, server);
    await page.getByRole('button', { name: 'New application' }).first().click();
    const appDialog = page.getByRole('dialog', { name: 'New application' });
    await appDialog.getByLabel('Name').fill('calls');
    await appDialog.getByLabel('Name').press('Enter');
    await expect(page).toHaveURL(/\/applications\/\d+\/secrets$/);

    await page.getByRole('button', { name: 'Add secret' }).first().click();
    const secretDialog = page.getByRole('dialog', { name: 'Add secret' });
    await secretDialog.getByLabel('Name').fill('test');
    await secretDialog.getByLabel('Value').fill(value);
    await secretDialog.getByLabel('Name').press('Enter');
    await expect(page.getByRole('row', { name: /test/ })).toBeVisible();

    await page.getByRole('link', { name: 'Scenarios' }).click();
    await expect(page.getByRole('heading', { name: 'No scenarios yet' })).toBeVisible();
    await page.getByRole('link', { name: 'New scenario' }).first().click();
    await expect(page).toHaveURL(/\/scenarios\/new$/);
    const code = page.getByLabel('Code');
    // A new scenario starts from the example; the test types it anyway.
    await expect(code).toHaveValue(/VoxEngine\.getSecretValue\(secretKey\)/);
    await page.getByLabel('Name').fill('seed');
    await code.fill(EXAMPLE);
    await page.getByRole('button', { name: 'Create scenario' }).click();
    await expect(page).toHaveURL(/\/scenarios\/\d+$/);
    const scenarioUrl = page.url();

    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect(page.getByTestId('run-log')).toContainText(`===> ${value}`);
    await expect(page.locator('.run-view').getByTestId('run-status')).toHaveText('Finished (terminate)');
    // The log line carries its time, HH:MM:SS.mmm.
    await expect(page.locator('.run-log .log-time').first()).toHaveText(/^\d\d:\d\d:\d\d\.\d{3}$/);

    // Delete the secret, come back, run again.
    await page.getByRole('link', { name: 'Secrets' }).click();
    await page.getByRole('button', { name: 'Delete test' }).click();
    await page.getByRole('dialog', { name: 'Delete secret' }).getByRole('button', { name: 'Delete secret' }).click();
    await expect(page.getByRole('heading', { name: 'No secrets yet' })).toBeVisible();

    await page.getByRole('link', { name: 'Scenarios' }).click();
    await expect(page.getByRole('row', { name: /seed/ })).toContainText('Finished (terminate)');
    await page.getByRole('link', { name: 'seed' }).click();
    await expect(page).toHaveURL(scenarioUrl);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect(page.getByTestId('run-log')).toContainText('===> The secret value is undefined!');
    await expect(page.getByTestId('run-log')).not.toContainText(value);
    await expect(page.locator('.runs tbody tr')).toHaveCount(2);

    // The first run's log is still there, kept with the scenario.
    await page.locator('.runs tbody tr').nth(1).getByRole('button', { name: /Show the log/ }).click();
    await expect(page.getByTestId('run-log')).toContainText(`===> ${value}`);
  });

  test('a script error names its line, and the editor jumps there', async ({ page }) => {
    await signIn(page, server);
    await page.getByRole('link', { name: 'calls' }).click();
    await page.getByRole('link', { name: 'Scenarios' }).click();
    await page.getByRole('link', { name: 'seed' }).click();
    const code = page.getByLabel('Code');
    await code.fill("Logger.write('one');\n\nconst broken = ;\n");
    await expect(page.getByText('Unsaved changes')).toBeVisible();
    // Ctrl+Enter saves the change and runs it.
    await code.press('Control+Enter');
    await expect(page.getByTestId('run-error')).toContainText('line 3: SyntaxError');
    await expect(page.locator('.run-view').getByTestId('run-status')).toHaveText('Error');
    await expect(page.getByText('Unsaved changes')).toBeHidden();
    await page.getByRole('button', { name: 'Go to line 3' }).click();
    await expect(code).toBeFocused();
    const selected = await code.evaluate((el: HTMLTextAreaElement) =>
      el.value.slice(el.selectionStart, el.selectionEnd),
    );
    expect(selected).toBe('const broken = ;');

    // Tab indents inside the editor instead of leaving it.
    await code.press('Home');
    await code.press('Tab');
    await expect(code).toHaveValue(/\n {2}const broken = ;/);
    await expect(code).toBeFocused();
  });

  test('deleting a scenario asks first', async ({ page }) => {
    await signIn(page, server);
    await page.getByRole('link', { name: 'calls' }).click();
    await page.getByRole('link', { name: 'Scenarios' }).click();
    await page.getByRole('link', { name: 'seed' }).click();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete scenario' });
    await expect(dialog).toContainText('Delete the scenario "seed" and its runs?');
    await dialog.getByRole('button', { name: 'Delete scenario' }).click();
    await expect(page.getByRole('heading', { name: 'No scenarios yet' })).toBeVisible();
  });
});
