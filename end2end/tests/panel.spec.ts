import { expect, test } from '@playwright/test';
import { expectNotInLog, OWNER_PASSWORD, signIn, StrongroomServer, waitForHydration } from './server';

// One user journey through the panel, in order: each step builds on the one before.
test.describe.serial('control panel', () => {
  // At debug level, so that a value logged at debug would show too (see the last test).
  const server = new StrongroomServer({ logLevel: 'debug' });
  const values = ['first-value-6b1f', 'line one\nline two-e44c', 'replaced-value-a90d'];

  test.beforeAll(async () => {
    await server.start();
  });

  test.afterAll(async () => {
    await server.dispose();
  });

  test('create an application with inline validation', async ({ page }) => {
    await signIn(page, server);
    await expect(page.getByRole('heading', { name: 'No applications yet' })).toBeVisible();

    await page.getByRole('button', { name: 'New application' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'New application' });
    const name = dialog.getByLabel('Name');
    await expect(name).toBeFocused();
    await name.fill('Voice_Bot');
    await expect(dialog.locator('#application-name-error')).toContainText('must start with a lowercase Latin letter');
    await expect(name).toHaveAttribute('aria-invalid', 'true');

    await name.fill('voice-bot');
    await expect(dialog.locator('#application-name-error')).toBeEmpty();
    await name.press('Enter');
    await expect(page).toHaveURL(/\/applications\/\d+\/secrets$/);
    await expect(page.getByRole('heading', { name: 'No secrets yet' })).toBeVisible();
    await expect(page.locator('.crumb-current')).toHaveText('voice-bot');
  });

  test('add two secrets', async ({ page }) => {
    await signIn(page, server);
    await page.getByRole('link', { name: 'voice-bot' }).click();
    await expect(page).toHaveURL(/\/applications\/\d+\/secrets$/);

    await page.getByRole('button', { name: 'Add secret' }).first().click();
    let dialog = page.getByRole('dialog', { name: 'Add secret' });
    await expect(dialog.getByLabel('Name')).toBeFocused();
    await dialog.getByLabel('Name').fill('API_KEY');
    await dialog.getByLabel('Value').fill(values[0]);
    await dialog.getByLabel('Description').fill('Key for the SMS gateway');
    await expect(dialog.locator('#secret-description-counter')).toHaveText('23 / 200');
    await dialog.getByLabel('Name').press('Enter');
    await expect(dialog).toBeHidden();
    await expect(page.getByRole('row', { name: /API_KEY/ })).toContainText('Key for the SMS gateway');

    // A multi-line value, saved with Ctrl+Enter from the value field.
    await page.getByRole('button', { name: 'Add secret' }).click();
    dialog = page.getByRole('dialog', { name: 'Add secret' });
    await dialog.getByLabel('Name').fill('DB_PASSWORD');
    await dialog.getByLabel('Value').fill(values[1]);
    await dialog.getByLabel('Value').press('Control+Enter');
    await expect(dialog).toBeHidden();
    await expect(page.getByRole('row', { name: /DB_PASSWORD/ })).toBeVisible();
    await expect(page.locator('tbody tr')).toHaveCount(2);
    await expect(page.getByText('2 secrets')).toBeVisible();
  });

  test('validation errors for a bad name and a duplicate', async ({ page }) => {
    await signIn(page, server);
    await page.getByRole('link', { name: 'voice-bot' }).click();
    await page.getByRole('button', { name: 'Add secret' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add secret' });
    const error = dialog.locator('#secret-name-error');

    await dialog.getByLabel('Name').fill('9lives');
    await expect(error).toContainText('must start with a Latin letter');
    await dialog.getByLabel('Name').fill('has space');
    await expect(error).toContainText('not allowed');

    // Saving with errors is refused locally and names every broken field.
    await dialog.getByLabel('Name').fill('');
    await dialog.getByRole('button', { name: 'Add secret' }).click();
    await expect(error).toHaveText('Enter a name.');
    await expect(dialog.locator('#secret-value-error')).toHaveText('Enter a value.');

    // A duplicate is only known to the server: its answer lands on the Name field.
    await dialog.getByLabel('Name').fill('API_KEY');
    await dialog.getByLabel('Value').fill('whatever');
    await dialog.getByRole('button', { name: 'Add secret' }).click();
    await expect(error).toContainText('A secret named "API_KEY" already exists');
    await expect(dialog).toBeVisible();

    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(page.locator('tbody tr')).toHaveCount(2);
  });

  test('edit a secret: rename it and replace its value', async ({ page }) => {
    await signIn(page, server);
    await page.getByRole('link', { name: 'voice-bot' }).click();
    await page.getByRole('button', { name: 'Edit API_KEY' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit API_KEY' });
    await expect(dialog.getByLabel('Value')).toBeFocused();
    await expect(dialog.getByLabel('Value')).toHaveValue('');
    await expect(dialog.getByLabel('Value')).toHaveAttribute('placeholder', /keep the current value/);
    await dialog.getByLabel('Name').fill('API_TOKEN');
    await dialog.getByLabel('Value').fill(values[2]);
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByRole('row', { name: /API_TOKEN/ })).toContainText('Key for the SMS gateway');
    await expect(page.getByRole('row', { name: /API_KEY/ })).toHaveCount(0);
  });

  test('delete a secret after confirming', async ({ page }) => {
    await signIn(page, server);
    await page.getByRole('link', { name: 'voice-bot' }).click();
    await page.getByRole('button', { name: 'Delete DB_PASSWORD' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete secret' });
    await expect(dialog).toContainText('Delete the secret "DB_PASSWORD"?');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByRole('row', { name: /DB_PASSWORD/ })).toBeVisible();
    // A click on the backdrop dismisses too, deleting nothing.
    await page.getByRole('button', { name: 'Delete DB_PASSWORD' }).click();
    await expect(dialog).toBeVisible();
    await page.mouse.click(5, 5);
    await expect(dialog).toBeHidden();
    await expect(page.getByRole('row', { name: /DB_PASSWORD/ })).toBeVisible();

    await page.getByRole('button', { name: 'Delete DB_PASSWORD' }).click();
    await page.getByRole('dialog', { name: 'Delete secret' }).getByRole('button', { name: 'Delete secret' }).click();
    await expect(page.getByRole('row', { name: /DB_PASSWORD/ })).toHaveCount(0);
    await expect(page.locator('tbody tr')).toHaveCount(1);
  });

  test('data survives a server restart and values never reach the page', async ({ page }) => {
    await server.stop();
    await server.start();
    await signIn(page, server);
    await expect(page.getByRole('row', { name: /voice-bot/ }).locator('td.num')).toHaveText('1');
    await page.getByRole('link', { name: 'voice-bot' }).click();
    await expect(page.getByRole('row', { name: /API_TOKEN/ })).toContainText('Key for the SMS gateway');
    // Reload: the secrets page has its own URL and renders on the server too.
    await page.reload();
    await waitForHydration(page);
    await expect(page.getByRole('row', { name: /API_TOKEN/ })).toBeVisible();
    const html = await page.content();
    for (const value of values) expect(html).not.toContain(value);
  });

  test('rename the application', async ({ page }) => {
    await signIn(page, server);
    await page.getByRole('button', { name: 'Rename voice-bot' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rename voice-bot' });
    await expect(dialog.getByLabel('Name')).toHaveValue('voice-bot');
    await dialog.getByLabel('Name').fill('voice-line');
    await dialog.getByLabel('Name').press('Enter');
    await expect(dialog).toBeHidden();
    await expect(page.getByRole('row', { name: /voice-line/ }).locator('td.num')).toHaveText('1');
    await expect(page.getByRole('link', { name: 'voice-bot' })).toHaveCount(0);
  });

  test('delete the application, told how many secrets go with it', async ({ page }) => {
    await signIn(page, server);
    await page.getByRole('button', { name: 'Delete voice-line' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete application' });
    await expect(dialog).toContainText('Delete the application "voice-line" and its 1 secret?');
    // The confirm button has the focus: Enter confirms, keyboard only.
    await expect(dialog.getByRole('button', { name: 'Delete application' })).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(dialog).toBeHidden();
    await expect(page.getByRole('heading', { name: 'No applications yet' })).toBeVisible();
  });

  test('the server log never holds a value or the password', async () => {
    // Stopped first, so every line is written; read whole, across the restart.
    const log = await server.stoppedLog();
    // The log is the one of these requests, at debug level: the secret writes are in it.
    expect(log).toMatch(/ DEBUG summary="INSERT INTO secrets /);
    expectNotInLog(log, {
      'the first value': values[0],
      'the multi-line value': values[1],
      'the replacing value': values[2],
      'the password': OWNER_PASSWORD,
    });
  });
});
