import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PASSWORD, uniqueEmail } from '../../src/test-support/harness.js';
import {
  followNav,
  inBrowser,
  overflow,
  see,
  seeHeading,
  textOf,
  useWebServer,
  VIEWPORTS,
} from './support.js';

const server = useWebServer();

/**
 * The Dexcom Clarity export (the full shared fixture when present, else the trimmed copy kept with the
 * service), with its dates moved forward by whole days so that its last reading is yesterday: the
 * dashboard charts show the last 7 days to a year, and the file is from 2024. Everything else (the
 * metadata rows, the values, the "Low" readings, the times of day) is the file as it is.
 */
function clarityExport(): Buffer {
  const shared = join(process.cwd(), '../shared/fixtures/cgm/dexcom-clarity-export-14d.csv');
  const local = join(process.cwd(), 'src/services/device-data/test-fixtures/dexcom-clarity-sample.csv');
  const text = readFileSync(existsSync(shared) ? shared : local, 'utf8');
  const dates = [...text.matchAll(/"(\d{4}-\d{2}-\d{2})T/g)].map((m) => m[1]!).sort();
  const last = Date.parse(`${dates[dates.length - 1]}T00:00:00Z`);
  const yesterday = Date.parse(`${new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)}T00:00:00Z`);
  const shift = yesterday - last;
  return Buffer.from(
    text.replace(/"(\d{4}-\d{2}-\d{2})T/g, (_, day: string) => {
      const moved = new Date(Date.parse(`${day}T00:00:00Z`) + shift).toISOString().slice(0, 10);
      return `"${moved}T`;
    }),
    'utf8',
  );
}

const CLARITY = clarityExport();

for (const [label, viewport] of VIEWPORTS) {
  describe(`devices and imports in the web app (${label})`, () => {
    it('imports a Dexcom Clarity file with progress and result, charts it, refuses the same file again, sets a Nightscout secret and says Dexcom is not configured', async () => {
      await inBrowser(
        `devices ${label}`,
        server.baseUrl,
        viewport,
        async ({ page, problems, shot, audit }) => {
          const email = uniqueEmail(`devices-${label}`);
          const noOverflow = async () => expect(await overflow(page)).toBe(0);

          await page.goto('/sign-up');
          await page.getByLabel('Full name').fill('Ada Lovelace');
          await page.getByLabel('Email').fill(email);
          await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
          await page.getByRole('button', { name: 'Create account' }).click();
          await seeHeading(page, 'Welcome, Ada');

          await followNav(page, 'Devices and imports');
          await seeHeading(page, 'Devices and imports');
          await see(page.getByText('No files imported yet.'));
          await see(page.getByText('No devices yet.', { exact: false }));
          await shot('devices empty');
          await audit('devices empty');
          await noOverflow();

          // Dexcom without client credentials on this server: said plainly, with what the operator sets.
          const dexcom = page.locator('[data-provider="dexcom"]');
          await textOf(dexcom).toContain('Not configured on this server');
          await textOf(dexcom.locator('.variables')).toContain('DEXCOM_CLIENT_ID');
          await textOf(dexcom.locator('.variables')).toContain('DEXCOM_CLIENT_SECRET');
          expect(await dexcom.getByRole('button', { name: /Connect/ }).count()).toBe(0);
          await textOf(page.locator('[data-provider="oura"]')).toContain('OURA_CLIENT_ID');

          // The Nightscout uploader: a secret shown once, with the address, and it works.
          await textOf(page.getByTestId('nightscout-status')).toContain('Not set up');
          await page.getByRole('button', { name: 'Create a secret' }).click();
          await see(page.getByRole('heading', { name: 'Your API secret' }));
          const secret = (await page.getByTestId('secret-value').innerText()).trim();
          expect(secret.length).toBeGreaterThanOrEqual(12);
          await textOf(page.getByTestId('secret-url')).toMatch(/\/device-data$/);
          await textOf(page.getByTestId('nightscout-status')).toContain('Set up');
          expect(await page.getByRole('button', { name: 'Copy the API secret' }).isVisible()).toBe(true);
          const verify = await fetch(`${server.baseUrl}/device-data/api/v1/verifyauth`, {
            headers: { 'api-secret': createHash('sha1').update(secret).digest('hex') },
          });
          expect(verify.status).toBe(200);
          await shot('nightscout secret');
          await audit('nightscout secret');
          await noOverflow();

          // Import: the server's progress is held back a little so that the page shows it being read.
          let polls = 0;
          await page.route('**/device-data/api/v1/imports/*', async (route) => {
            polls += 1;
            await new Promise((resolve) => setTimeout(resolve, 700));
            await route.continue();
          });
          await page.getByLabel('File to import').setInputFiles({
            name: 'clarity-export.csv',
            mimeType: 'text/csv',
            buffer: CLARITY,
          });
          await textOf(page.getByTestId('file-kind')).toContain('looks like a Dexcom Clarity CSV export');
          const zone = page.getByLabel('Time zone of the device');
          // The profile has no time zone yet: this device's (the browser runs in Europe/London).
          expect(await zone.inputValue()).toBe('Europe/London');
          await page.getByRole('button', { name: 'Upload and import' }).click();
          await see(page.getByTestId('read-progress'));
          await textOf(page.locator('#read-progress-label')).toMatch(/Reading the file on the server/);
          await shot('import in progress');
          await see(page.getByTestId('import-result'));
          expect(polls).toBeGreaterThan(0);
          await page.unroute('**/device-data/api/v1/imports/*');
          await see(page.getByRole('heading', { name: 'Imported: clarity-export.csv' }));
          expect(await page.getByTestId('upload-progress').getAttribute('value')).toBe('100');
          expect(await page.getByTestId('read-progress').getAttribute('value')).toBe('100');
          const result = page.getByTestId('import-result');
          const created = Number(await result.getByTestId('count-created').innerText());
          expect(created).toBeGreaterThan(50);
          expect(Number(await result.getByTestId('count-skipped').innerText())).toBeGreaterThan(0);
          await textOf(result).toContain('Skipped, and why');
          await textOf(result).toContain('Below the sensor');
          await textOf(page.locator('.form .status')).toContain(`Import finished: ${created} new readings.`);
          await shot('import result');
          await audit('import result');
          await noOverflow();

          // The history and the device the import registered.
          await see(page.getByTestId('past-import'));
          await textOf(page.getByTestId('past-import').first()).toContain(`${created} new readings`);
          await see(page.getByTestId('device'));
          await textOf(page.getByTestId('device').first()).toMatch(/Dexcom/);
          await textOf(page.getByTestId('device').first()).toContain(String(created));

          // Rename the device, in place.
          const device = page.getByTestId('device').first();
          await device.getByRole('button', { name: /^Rename / }).click();
          await device.getByRole('textbox', { name: 'Name' }).fill('My Dexcom G7');
          await device.getByRole('button', { name: 'Save changes' }).click();
          await see(page.getByRole('heading', { name: 'My Dexcom G7' }));
          await shot('devices list');
          await audit('devices list');

          // The glucose is on the dashboard chart.
          await followNav(page, 'Dashboard');
          await seeHeading(page, 'Welcome, Ada');
          const glucose = page.locator('[data-chart="blood_glucose"]');
          await see(glucose.locator('svg path.chart__line'));
          await textOf(glucose.locator('.chart__summary')).toMatch(/The last 7 days: [0-9,]+ readings/);
          await see(page.locator('[data-metric="blood_glucose"]'));
          await shot('dashboard with glucose');
          await noOverflow();

          // The same file again: the page says it was imported already and nothing was added.
          await followNav(page, 'Devices and imports');
          await seeHeading(page, 'Devices and imports');
          await page.getByLabel('File to import').setInputFiles({
            name: 'clarity-export.csv',
            mimeType: 'text/csv',
            buffer: CLARITY,
          });
          await page.getByRole('button', { name: 'Upload and import' }).click();
          await see(page.getByRole('heading', { name: 'Already imported: nothing was added' }));
          await textOf(page.getByTestId('import-same')).toContain(`It added ${created} readings then`);
          await textOf(page.locator('.form .status')).toContain('You imported this file before');
          await see(page.getByText('The same file as an earlier import: nothing added.'));
          await shot('same file');
          await audit('same file');
          await noOverflow();

          expect(problems).toEqual([]);
        },
      );
    });
  });
}
