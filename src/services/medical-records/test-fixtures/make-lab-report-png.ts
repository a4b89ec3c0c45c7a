/**
 * Makes scanned-lab-report.png, the image the OCR test reads: a small lab report rendered by headless
 * Chromium (Debian's /usr/bin/chromium) through playwright-core, then screenshotted. Run once, by hand:
 *   npx vite-node src/services/medical-records/test-fixtures/make-lab-report-png.ts
 * The values are made up for the test (no real person).
 */
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const html = `<!doctype html><html><body style="margin:0;background:#fff;color:#111;font:26px 'DejaVu Sans',sans-serif">
<div style="padding:28px 36px;width:1020px">
  <div style="font-size:30px;font-weight:bold">RIVERSIDE CLINICAL LABORATORY</div>
  <div style="margin:8px 0 20px">Collected: 2024-03-05</div>
  <table style="border-collapse:collapse;font-size:26px">
    <tr style="font-weight:bold"><td style="width:300px">Test</td><td style="width:160px">Result</td>
      <td style="width:200px">Units</td><td>Reference range</td></tr>
    <tr><td>Hemoglobin</td><td>13.2</td><td>g/dL</td><td>12.0 - 15.5</td></tr>
    <tr><td>Hematocrit</td><td>39.8</td><td>%</td><td>36.0 - 46.0</td></tr>
    <tr><td>WBC</td><td>6.4</td><td>10^3/uL</td><td>4.0 - 11.0</td></tr>
    <tr><td>Platelets</td><td>250</td><td>10^3/uL</td><td>150 - 400</td></tr>
    <tr><td>TSH</td><td>2.1</td><td>mIU/L</td><td>0.4 - 4.0</td></tr>
  </table>
</div></body></html>`;

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 420 }, deviceScaleFactor: 1 });
  await page.setContent(html);
  await page.screenshot({
    path: fileURLToPath(new URL('./scanned-lab-report.png', import.meta.url)),
    fullPage: true,
  });
} finally {
  await browser.close();
}
