import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { uniqueEmail } from '../../src/test-support/harness.js';
import {
  apiAs,
  followNav,
  inBrowser,
  overflow,
  see,
  seeHeading,
  signUp,
  useWebServer,
  textOf,
  WAIT,
  VIEWPORTS,
} from './support.js';

const server = useWebServer();

/** A made-up patient's labs, chosen to give each flag (see fixtures/README.md). */
const BUNDLE = readFileSync(join(import.meta.dirname, 'fixtures/fhir-labs-bundle.json'));

/** A year and more of monthly body weights from a clinic: enough records for a second page. */
function weights(count: number) {
  return {
    resourceType: 'Bundle',
    type: 'collection',
    entry: Array.from({ length: count }, (_, i) => ({
      resource: {
        resourceType: 'Observation',
        id: `weight-${i}`,
        status: 'final',
        category: [
          {
            coding: [
              { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' },
            ],
          },
        ],
        code: { coding: [{ system: 'http://loinc.org', code: '29463-7', display: 'Body weight' }] },
        effectiveDateTime: new Date(Date.UTC(2022, i, 5, 9)).toISOString(),
        valueQuantity: {
          value: 70 + (i % 5) / 2,
          unit: 'kg',
          system: 'http://unitsofmeasure.org',
          code: 'kg',
        },
      },
    })),
  };
}

/** A lab report with a text layer, laid out as a table (as a laboratory's PDF is). */
async function labReportPdf(): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([595, 842]);
  page.drawText('Riverside Laboratory - Chemistry', { x: 50, y: 790, size: 14, font });
  page.drawText('Date collected: 2024-02-01', { x: 50, y: 770, size: 11, font });
  const rows = [
    ['Test', 'Result', 'Units', 'Reference range'],
    ['Glucose, fasting', '105', 'mg/dL', '70 - 99'],
    ['Potassium', '4.2', 'mmol/L', '3.5 - 5.1'],
  ];
  rows.forEach((row, i) =>
    [50, 220, 300, 400].forEach((x, j) => page.drawText(row[j]!, { x, y: 740 - 18 * i, size: 11, font })),
  );
  return Buffer.from(await doc.save());
}

for (const [label, viewport] of VIEWPORTS) {
  describe(`medical records in the web app (${label})`, () => {
    it('imports a FHIR bundle and shows the report, the labs with their flags, a lab’s history chart, a record with its FHIR resource, and filters and pages the records', async () => {
      await inBrowser(
        `records ${label}`,
        server.baseUrl,
        viewport,
        async ({ page, problems, shot, audit }) => {
          const email = uniqueEmail(`records-${label}`);
          const noOverflow = async () => expect(await overflow(page)).toBe(0);
          await signUp(page, 'Mary Seacole', email);

          await followNav(page, 'Records and labs');
          await seeHeading(page, 'Medical records');
          await see(page.getByText('No records yet.'));
          await audit('records empty');

          // Import: the file goes up, and every resource in it is reported.
          await page
            .getByRole('navigation', { name: 'Medical records' })
            .getByRole('link', { name: 'Import a FHIR file' })
            .click();
          await seeHeading(page, 'Import medical records');
          await page.getByRole('button', { name: 'Upload and import' }).click();
          await textOf(page.locator('#fhir-file-error')).toContain('Choose a FHIR file');
          await page
            .getByLabel('FHIR file', { exact: true })
            .setInputFiles({ name: 'labs.json', mimeType: 'application/json', buffer: BUNDLE });
          await page.getByLabel('Where it comes from (optional)').fill('Browser test clinic');
          await page.getByRole('button', { name: 'Upload and import' }).click();
          await see(page.getByRole('heading', { name: 'Imported: labs.json' }));
          const report = page.getByTestId('fhir-report');
          await textOf(report.getByTestId('count-imported')).toBe('6');
          await textOf(report.getByTestId('count-skipped')).toBe('2');
          await textOf(report).toContain('Browser test clinic');
          await textOf(report).toContain('Skipped, and why');
          await textOf(report).toContain('unsupported resource type Claim');
          await textOf(report).toContain('Observation.code is missing');
          await report.getByText('Every resource in the file (8)').click();
          expect(await report.locator('tbody tr').count()).toBe(8);
          await shot('import report');
          await audit('import report');
          await noOverflow();

          // The same file again changes nothing, and says so.
          await page.getByRole('button', { name: 'Upload and import' }).click();
          await textOf(page.getByRole('status').filter({ hasText: 'Import finished' })).toContain(
            '0 new, 0 updated, 6 already there, 2 skipped',
          );

          // Lab results: the server's flags, in words and letters.
          await page.getByRole('link', { name: 'Your lab results' }).click();
          await seeHeading(page, 'Lab results');
          const labs = page.getByTestId('record');
          await expect.poll(() => labs.count(), WAIT).toBe(4);
          const potassium = labs.filter({ hasText: 'Potassium' });
          await textOf(potassium).toContain('6.8 mmol/L');
          await textOf(potassium).toContain('Critically high (HH)');
          await textOf(potassium).toContain('Reference range 3.5–5.1 mmol/L');
          await textOf(labs.filter({ hasText: '2.3 mmol/L' })).toContain('Critically low (LL)');
          await textOf(labs.filter({ hasText: '6.4 mmol/L' })).toContain('High (H)');
          expect(await page.locator('[data-flag="N"]').count()).toBeGreaterThanOrEqual(2);
          await shot('labs');
          await audit('labs');
          await noOverflow();

          // A lab's history: the chart, with the reference range shaded and the critical limits drawn.
          await labs
            .filter({ hasText: '2.3 mmol/L' })
            .getByRole('link', { name: 'History of Glucose' })
            .click();
          await seeHeading(page, 'Glucose');
          const chart = page.locator('[data-chart="lab-2345-7"]');
          await see(chart.locator('svg path.chart__line'));
          await see(chart.locator('svg rect.chart__normal'));
          expect(await chart.locator('svg.chart__svg circle.chart__dot').count()).toBe(3);
          expect(await chart.locator('svg.chart__svg line.chart__limit').count()).toBe(1);
          expect(await chart.locator('svg text.chart__mark').allTextContents()).toEqual(['H', 'LL']);
          await textOf(chart.locator('.chart__summary')).toMatch(
            /^3 results from .* latest 2\.3\smmol\/L \(critically low, LL\)/,
          );
          await textOf(chart).toContain(
            'Shaded: the reference range the lab gave with the latest result, 3.9–5.5',
          );
          await textOf(chart).toContain('Dashed line: critical limit, below 2.6 mmol/L. Source: Kost');
          const rows = page.getByTestId('lab-history').locator('tbody tr');
          expect(await rows.count()).toBe(3);
          await textOf(rows.first()).toContain('Critically low (LL)');
          await textOf(rows.nth(1)).toContain('High (H)');
          await shot('lab history');
          await audit('lab history');
          await noOverflow();

          // One record: the flag worked out here, the upload's own flag kept apart, the original resource.
          await rows.first().getByRole('link').click();
          await seeHeading(page, 'Glucose');
          const result = page.getByTestId('record-result');
          await textOf(result).toContain('2.3 mmol/L');
          await textOf(result).toContain('Critically low (LL)');
          await textOf(result).toContain('Within the reference range (N)');
          await textOf(result).toContain('Kept as sent');
          await page.getByText('Show the Observation resource').click();
          await textOf(page.getByTestId('fhir-resource')).toContain('"id": "glucose-2025-01"');
          await shot('record');
          await audit('record');
          await noOverflow();
          if (label === 'desktop') {
            const [download] = await Promise.all([
              page.waitForEvent('download'),
              page.getByRole('button', { name: 'Download it as a file' }).click(),
            ]);
            expect(download.suggestedFilename()).toBe('Observation-glucose-2025-01.json');
            expect(JSON.parse(readFileSync((await download.path())!, 'utf8'))).toMatchObject({
              resourceType: 'Observation',
              valueQuantity: { value: 2.3 },
            });
          }

          // All records: by type, by date, and page by page.
          const call = await apiAs(server.baseUrl, email);
          expect((await call('POST', '/medical-records/api/v1/fhir/import', weights(20))).status).toBe(200);
          await page
            .getByRole('navigation', { name: 'Medical records' })
            .getByRole('link', { name: 'All records' })
            .click();
          await seeHeading(page, 'Medical records');
          const records = page.getByTestId('record');
          await expect.poll(() => records.count(), WAIT).toBe(20);
          await page.getByRole('button', { name: 'Show older records' }).click();
          await expect.poll(() => records.count(), WAIT).toBe(25);
          await see(page.getByRole('status').filter({ hasText: 'Showing 25 records.' }));
          await page.getByLabel('Type').selectOption('condition');
          await expect.poll(() => records.count(), WAIT).toBe(1);
          await textOf(records.first()).toContain('High blood pressure');
          expect(new URL(page.url()).search).toBe('?type=condition');
          await page.getByLabel('Type').selectOption('');
          await page.getByLabel('From').fill('2025-01-01');
          await expect.poll(() => records.count(), WAIT).toBe(2);
          await page.getByLabel('To').fill('2024-12-31');
          await textOf(page.locator('#filter-to-error')).toContain('on or after the start date');
          await shot('records filtered');
          await audit('records filtered');
          await noOverflow();

          expect(problems).toEqual([]);
        },
      );
    });
  });
}

for (const [label, viewport] of VIEWPORTS) {
  describe(`summary, documents and Epic in the web app (${label})`, () => {
    it('shows the summary for a doctor and exports the record, uploads a lab report and adds a value read from it, and says Epic is not configured', async () => {
      await inBrowser(
        `records more ${label}`,
        server.baseUrl,
        viewport,
        async ({ page, context, problems, shot, audit }) => {
          const email = uniqueEmail(`records-more-${label}`);
          const noOverflow = async () => expect(await overflow(page)).toBe(0);
          await signUp(page, 'Elizabeth Blackwell', email);
          const call = await apiAs(server.baseUrl, email);
          expect(
            (await call('POST', '/medical-records/api/v1/fhir/import', JSON.parse(BUNDLE.toString()))).status,
          ).toBe(200);
          const section = page.getByRole('navigation', { name: 'Medical records' });

          // The summary: problems and the latest labs with their flags, to print or keep.
          await page.goto('/records/summary');
          await seeHeading(page, 'Summary for your doctor');
          const summary = page.getByTestId('summary');
          await textOf(summary).toContain('High blood pressure');
          await textOf(summary).toContain('Critically high (HH)');
          await shot('summary');
          await audit('summary');
          await noOverflow();
          // The printable page opens in a new tab through a signed link (the tab has no token), to print.
          const [tab] = await Promise.all([
            context.waitForEvent('page'),
            page.getByRole('button', { name: 'Open the printable summary' }).click(),
          ]);
          await tab.waitForURL(/\/medical-records\/api\/v1\/summary\.html\?link=/, WAIT);
          await tab.waitForLoadState();
          await textOf(tab.locator('body')).toContain('High blood pressure');
          expect(await tab.evaluate('window.opener')).toBeNull();
          await see(
            page.getByRole('status').filter({ hasText: 'Opened the printable summary in a new tab' }),
          );
          await tab.close();
          if (label === 'desktop') {
            const [page1] = await Promise.all([
              page.waitForEvent('download'),
              page.getByRole('button', { name: 'Download it as a web page' }).click(),
            ]);
            expect(readFileSync((await page1.path())!, 'utf8')).toContain('High blood pressure');
            const [fhir] = await Promise.all([
              page.waitForEvent('download'),
              page.getByRole('button', { name: 'Download all my records (FHIR)' }).click(),
            ]);
            expect(fhir.suggestedFilename()).toMatch(/^health-record-\d{4}-\d{2}-\d{2}\.fhir\.json$/);
            const bundle = JSON.parse(readFileSync((await fhir.path())!, 'utf8'));
            expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
            expect(
              bundle.entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType),
            ).toContain('Condition');
            await see(page.getByRole('status').filter({ hasText: 'Downloaded your whole record as FHIR.' }));
          }

          // A document: uploaded, read on the server, and a value read from it added to the lab results.
          await section.getByRole('link', { name: 'Documents' }).click();
          await seeHeading(page, 'Documents');
          await see(page.getByText('No documents yet.'));
          await page.getByLabel('File', { exact: true }).setInputFiles({
            name: 'labs-2024.pdf',
            mimeType: 'application/pdf',
            buffer: await labReportPdf(),
          });
          await page.getByLabel('Title (optional)').fill('February blood test');
          await page.getByRole('button', { name: 'Upload' }).click();
          await seeHeading(page, 'February blood test');
          await textOf(page.getByTestId('extraction')).toContain('Read from its text, 1 page.');
          await see(page.getByRole('button', { name: 'Open in a new tab' }));
          await see(page.getByRole('button', { name: 'Download the original' }));
          const glucose = page.getByTestId('suggestion').filter({ hasText: 'Glucose' });
          await textOf(glucose).toContain('105 mg/dL');
          await textOf(glucose).toContain('Reference range 70 - 99');
          await textOf(glucose).toContain('Read from line');
          await shot('document');
          await audit('document');
          await noOverflow();
          await glucose.getByRole('button', { name: /^Add to my lab results: Glucose/ }).click();
          await see(glucose.getByText('Added'));
          await see(page.getByRole('status').filter({ hasText: 'added to your lab results' }));
          await page
            .getByTestId('suggestion')
            .filter({ hasText: 'Potassium' })
            .getByRole('button', { name: /^Dismiss/ })
            .click();
          await see(page.getByTestId('suggestion').filter({ hasText: 'Potassium' }).getByText('Dismissed'));
          await glucose.getByRole('link', { name: 'See it in your lab results' }).click();
          await textOf(page.getByTestId('record-result')).toContain('105 mg/dL');
          await textOf(page.getByTestId('record-result')).toContain('High (H)');
          await section.getByRole('link', { name: 'Documents' }).click();
          await textOf(page.getByTestId('document').first()).toContain('February blood test');

          // Epic: this server has no client id for it, and the page says so.
          await section.getByRole('link', { name: 'Connect Epic' }).click();
          await seeHeading(page, 'Connect Epic');
          await textOf(page.getByTestId('epic')).toContain('Not configured on this server');
          expect(await page.getByRole('button', { name: 'Connect Epic' }).count()).toBe(0);
          await shot('epic');
          await audit('epic');
          await noOverflow();
          expect(problems).toEqual([]);
        },
      );
    });
  });
}
