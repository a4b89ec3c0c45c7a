import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { uniqueEmail } from '../../src/test-support/harness.js';
import {
  apiAs,
  focused,
  followNav,
  inBrowser,
  overflow,
  PHONE,
  see,
  seeHeading,
  signUp,
  useWebServer,
  textOf,
  WAIT,
  VIEWPORTS,
} from './support.js';

const server = useWebServer();

/** The labs of fixtures/fhir-labs-bundle.json: potassium critically high, glucose critically low at last. */
const BUNDLE = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/fhir-labs-bundle.json'), 'utf8'));

for (const [label, viewport] of VIEWPORTS) {
  describe(`insights in the web app (${label})`, () => {
    it('shows insights from imported labs grouped by importance, with the data and the rule behind each, dismisses and restores one, and refreshes', async () => {
      await inBrowser(
        `insights ${label}`,
        server.baseUrl,
        viewport,
        async ({ page, problems, shot, audit }) => {
          const email = uniqueEmail(`insights-${label}`);
          const noOverflow = async () => expect(await overflow(page)).toBe(0);
          await signUp(page, 'Rosalind Franklin', email);
          const call = await apiAs(server.baseUrl, email);
          expect((await call('POST', '/medical-records/api/v1/fhir/import', BUNDLE)).status).toBe(200);

          await followNav(page, 'Insights');
          await seeHeading(page, 'Insights');
          const high = page.getByRole('region', { name: /^High importance/ });
          const potassium = high.getByTestId('insight').filter({ hasText: 'Potassium' });
          await textOf(potassium).toContain('critically high (6.8 mmol/L)');
          await textOf(high.getByTestId('insight').filter({ hasText: 'Glucose' })).toContain(
            'critically low',
          );
          await see(page.getByText('not a diagnosis'));
          await potassium.getByText('The data it used and the rule').click();
          await textOf(potassium).toContain('value: 6.8 mmol/L');
          await textOf(potassium).toContain('Source');
          await see(potassium.getByRole('link', { name: 'the history of this test' }));
          await shot('insights');
          await audit('insights');
          await noOverflow();

          // Dismiss: it leaves the list, and comes back from the dismissed ones.
          await potassium.getByRole('button', { name: /^Dismiss “Potassium/ }).click();
          await see(page.getByRole('status').filter({ hasText: 'Dismissed: Potassium' }));
          await expect
            .poll(() => page.getByTestId('insight').filter({ hasText: 'Potassium' }).count(), WAIT)
            .toBe(0);
          await page.getByLabel('Show dismissed insights').check();
          const dismissed = page.getByRole('region', { name: /^Dismissed/ });
          await textOf(dismissed).toContain('Potassium');
          await shot('dismissed');
          await audit('dismissed');
          await dismissed.getByRole('button', { name: /^Restore “Potassium/ }).click();
          await see(page.getByRole('status').filter({ hasText: 'Restored: Potassium' }));
          await textOf(high).toContain('Potassium');
          await page.getByLabel('Show dismissed insights').uncheck();

          // Refresh: worked out again now.
          await page.getByRole('button', { name: 'Refresh insights' }).click();
          await see(page.getByRole('status').filter({ hasText: /^Refreshed: \d+ insights?\./ }));
          await textOf(high).toContain('Potassium');

          // The dashboard shows the most important.
          await followNav(page, 'Dashboard');
          await seeHeading(page, 'Welcome, Rosalind');
          await textOf(page.getByTestId('dashboard-insights')).toContain('critically');
          await page.getByTestId('dashboard-insights').getByRole('link').click();
          await seeHeading(page, 'Insights');
          expect(await focused(page)).toBe('H1:Insights');
          expect(problems).toEqual([]);
        },
      );
    });
  });
}

describe('insights on a server without the AI insights service', () => {
  it('say plainly that they are not available, with nothing in their place', async () => {
    await inBrowser('insights unavailable', server.baseUrl, PHONE, async ({ page, problems, audit }) => {
      // What the gateway answers for a service it does not run (see gateway.api.test.ts).
      await page.route('**/ai-insights/api/v1/insights*', (route) =>
        route.fulfill({
          status: 404,
          contentType: 'application/json',
          body: JSON.stringify({
            error: { code: 'not_found', message: 'Route not found', request_id: 'test' },
          }),
        }),
      );
      await signUp(page, 'Dorothy Hodgkin', uniqueEmail('no-insights'));
      await textOf(page.getByTestId('insights-unavailable')).toContain('Not available yet.');
      await followNav(page, 'Insights');
      await seeHeading(page, 'Insights');
      await see(page.getByTestId('insights-unavailable'));
      expect(await page.getByTestId('insight').count()).toBe(0);
      await audit('insights unavailable');
      expect(problems).toEqual([]);
    });
  });
});
