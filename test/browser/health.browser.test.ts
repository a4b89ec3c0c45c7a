import { describe, expect, it } from 'vitest';
import { PASSWORD, uniqueEmail } from '../../src/test-support/harness.js';
import {
  apiAs,
  focused,
  followNav,
  inBrowser,
  overflow,
  see,
  seeHeading,
  textOf,
  useWebServer,
  VIEWPORTS,
  WAIT,
} from './support.js';

const server = useWebServer();

/** A week of hourly heart-rate samples from a watch: a daily curve, higher by day than at night. */
function heartRateWeek(now: number) {
  return Array.from({ length: 7 * 24 }, (_, i) => {
    const ms = now - (i + 1) * 3_600_000;
    const hour = new Date(ms).getUTCHours();
    const value = Math.round(64 + 22 * Math.max(0, Math.sin(((hour - 6) / 24) * 2 * Math.PI)) + (i % 7));
    return {
      metric_type: 'heart_rate',
      value,
      unit: 'bpm',
      timestamp: new Date(ms).toISOString(),
      source: 'test_watch',
    };
  });
}

/** `YYYY-MM-DD` some days from today in a time zone. */
const dayIn = (timeZone: string, days: number) =>
  new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date(Date.now() + days * 86_400_000));

for (const [label, viewport] of VIEWPORTS) {
  describe(`health tracking in the web app (${label})`, () => {
    it('logs weight, blood pressure and glucose, shows the dashboard with charts, lists, edits and deletes readings, keeps a symptom journal and a goal', async () => {
      await inBrowser(
        `health ${label}`,
        server.baseUrl,
        viewport,
        async ({ page, problems, shot, audit }) => {
          const email = uniqueEmail(`health-${label}`);
          const phone = viewport.width < 600;
          const noOverflow = async () => expect(await overflow(page)).toBe(0);

          await page.goto('/sign-up');
          await seeHeading(page, 'Create your account');
          await page.getByLabel('Full name').fill('Florence Nightingale');
          await page.getByLabel('Email').fill(email);
          await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
          await page.getByRole('button', { name: 'Create account' }).click();
          await seeHeading(page, 'Welcome, Florence');
          // A new account has nothing to show yet, and says so: no readings, nothing to point out.
          await see(page.getByText('You have not logged any readings yet.'));
          await textOf(page.getByTestId('dashboard-insights')).toContain('Nothing to point out right now');
          await shot('dashboard empty');
          await audit('dashboard empty');

          // A week of heart rate from a watch, as a device would send it (through the batch API).
          const call = await apiAs(server.baseUrl, email);
          const seeded = await call('POST', '/health-tracking/api/v1/metrics/batch', {
            items: heartRateWeek(Date.now()),
          });
          expect(seeded).toMatchObject({ status: 201, body: { created: 168, series_samples: 168 } });

          if (phone) {
            // The menu opens and closes from the keyboard, and Escape hands focus back to its button.
            const menu = page.getByRole('button', { name: 'Menu' });
            await menu.focus();
            await page.keyboard.press('Enter');
            expect(await menu.getAttribute('aria-expanded')).toBe('true');
            await shot('menu open');
            await audit('menu open');
            await page.keyboard.press('Escape');
            expect(await menu.getAttribute('aria-expanded')).toBe('false');
            expect(await focused(page)).toBe('BUTTON:Menu');
          }

          // Log a weight in pounds: a mistyped value is refused with the plausible range beside the field.
          await followNav(page, 'Log a reading');
          await seeHeading(page, 'Log a reading');
          await page.getByLabel('Measurement').selectOption('weight');
          await page.getByLabel('Body weight unit').selectOption('lb');
          await see(page.getByText('Accepted: from 0.44 to 1,433 lb.'));
          await page.getByLabel('Body weight value').fill('1540');
          await page.getByRole('button', { name: 'Save reading' }).click();
          await textOf(page.locator('#log-value-error')).toContain('outside the plausible range');
          expect(await page.getByLabel('Body weight value').getAttribute('aria-invalid')).toBe('true');
          expect(await focused(page)).toMatch(/^DIV:Please correct the following/);
          await shot('weight error');
          await audit('weight error');
          await page.getByLabel('Body weight value').fill('154');
          await page.getByRole('button', { name: 'Save reading' }).click();
          const saved = page.getByTestId('saved-reading');
          await textOf(saved).toContain('Saved: Body weight');
          await textOf(saved).toContain('154 lb');
          await textOf(saved).toContain('69.9 kg');
          expect(await focused(page)).toBe('H2:Saved: Body weight');
          await shot('weight saved');
          await audit('weight saved');
          if (phone) await noOverflow();

          // Blood pressure: two numbers, classed by the 2017 ACC/AHA guideline.
          await page.getByLabel('Measurement').selectOption('blood_pressure');
          await page.getByLabel('Systolic (top number)').fill('150');
          await page.getByLabel('Diastolic (bottom number)').fill('95');
          await page.getByRole('button', { name: 'Save reading' }).click();
          await textOf(saved).toContain('Saved: Blood pressure');
          await textOf(saved).toContain('150/95 mmHg');
          await textOf(saved).toContain('Stage 2 hypertension range');
          await textOf(saved).toContain('by the 2017 ACC/AHA high blood pressure guideline');
          await shot('blood pressure saved');
          await audit('blood pressure saved');

          // Glucose in mmol/L, fasting, taken yesterday at 07:30 in the user's time zone.
          await page.getByLabel('Measurement').selectOption('blood_glucose');
          await page.getByLabel('Blood glucose unit').selectOption('mmol/L');
          await page.getByLabel('Blood glucose value').fill('5.6');
          await page.getByLabel('When was it measured?').selectOption('fasting');
          await page.getByLabel('When measured (optional)').fill(`${dayIn('Europe/London', -1)}T07:30`);
          await page.getByLabel('Notes (optional)').fill('Before breakfast');
          await page.getByRole('button', { name: 'Save reading' }).click();
          await textOf(saved).toContain('Saved: Blood glucose');
          await textOf(saved).toContain('5.6 mmol/L');
          await textOf(saved).toContain('101 mg/dL');
          await textOf(saved).toContain('fasting');
          await textOf(saved).toContain('7:30');
          await textOf(saved).toContain('Prediabetes range');
          await textOf(saved).toContain('ADA Standards of Care');
          await shot('glucose saved');
          await audit('glucose saved');
          if (phone) await noOverflow();
          // Stored at 07:30 London time, with London's offset.
          const glucose = await call('GET', '/health-tracking/api/v1/metrics?metric_type=blood_glucose');
          const stamp = (glucose.body.items as { timestamp: string }[])[0]!.timestamp;
          expect(stamp).toMatch(
            new RegExp(`^${dayIn('Europe/London', -1)}T07:30:00(\\.000)?(Z|\\+0[01]:00)$`),
          );

          // The dashboard: latest value per type with its class, and a chart per type.
          await followNav(page, 'Dashboard');
          await seeHeading(page, 'Welcome, Florence');
          const latest = page.getByRole('region', { name: 'Latest readings' });
          await textOf(latest).toContain('154 lb');
          await textOf(latest).toContain('69.9 kg');
          await textOf(latest).toContain('Stage 2 hypertension range');
          await textOf(latest).toContain('Prediabetes range');
          await textOf(latest).toContain('from test_watch');
          const heart = page.locator('[data-chart="heart_rate"]');
          await see(heart.locator('svg path.chart__line'));
          await see(heart.locator('svg path.chart__band'));
          await see(heart.locator('svg rect.chart__normal'));
          await textOf(heart).toContain('Shaded: normal resting heart rate for adults, 60–100 bpm');
          await textOf(heart).toContain('Source of the range: American Heart Association');
          // The picture's text alternative: the figures in words, and as a table.
          const img = heart.getByRole('img');
          await textOf(heart.locator('.chart__summary')).toMatch(/The last 7 days: 1[0-9]{2} readings/);
          expect(await img.getAttribute('aria-labelledby')).toBe(
            'chart-heart_rate-title chart-heart_rate-desc',
          );
          await heart.getByText('Show the heart rate figures as a table').click();
          expect(await heart.getByRole('table').getByRole('row').count()).toBeGreaterThanOrEqual(8);
          await audit('chart table');
          await heart.getByText('Show the heart rate figures as a table').click();
          // A horizontal line has no height, so Playwright never calls it visible: count it instead.
          expect(
            await page.locator('[data-chart="blood_pressure"] svg.chart__svg line.chart__limit').count(),
          ).toBe(1);
          await textOf(page.locator('[data-chart="blood_pressure"]')).toContain('2017 ACC/AHA');
          await textOf(page.locator('[data-chart="weight"]')).toContain('No range is shaded');
          await see(page.getByRole('link', { name: 'Lab results' }));
          await shot('dashboard');
          await audit('dashboard');
          if (phone) await noOverflow();
          // Another period: the charts follow.
          await page.getByRole('radio', { name: '30 days' }).check();
          await see(page.getByText('Showing the last 30 days.'));
          await textOf(heart.locator('.chart__summary')).toMatch(/^The last 30 days:/);
          await shot('dashboard 30 days');

          // Readings: filter, page through with the cursor, edit and delete entries; samples are read-only.
          await followNav(page, 'Readings');
          await seeHeading(page, 'Your readings');
          const readings = page.getByTestId('reading');
          await expect.poll(() => readings.count(), WAIT).toBe(20);
          await see(page.getByText('device sample, read-only'));
          await textOf(page.locator('.notice')).toContain('read-only');
          const sample = readings.filter({ hasText: 'test_watch' }).first();
          expect(await sample.getByRole('button').count()).toBe(0);
          await page.getByRole('button', { name: 'Show older readings' }).click();
          await expect.poll(() => readings.count(), WAIT).toBe(40);
          expect(await focused(page)).toBe('H3:Heart rate');
          await shot('readings');
          await audit('readings');
          if (phone) await noOverflow();

          // Opened afresh (a reload keeps the session), the filters go into the address and leave focus
          // where it is.
          await page.goto('/readings');
          await seeHeading(page, 'Your readings');
          await page.getByLabel('Measurement').focus();
          await page.getByLabel('Measurement').selectOption('weight');
          await expect.poll(() => readings.count(), WAIT).toBe(1);
          expect(await focused(page)).toMatch(/^SELECT:/);
          expect(new URL(page.url()).search).toBe('?type=weight');
          await page.getByRole('button', { name: /^Edit body weight of/ }).click();
          await page.getByLabel('Body weight value').fill('150');
          await shot('reading edit');
          await audit('reading edit');
          await page.getByRole('button', { name: 'Save changes' }).click();
          await textOf(readings.first()).toContain('150 lb');
          await textOf(readings.first()).toContain('68 kg');
          expect(await focused(page)).toMatch(/^BUTTON:Edit/);

          await page.getByLabel('Measurement').selectOption('blood_pressure');
          await expect.poll(() => readings.count(), WAIT).toBe(1);
          await page.getByRole('button', { name: /^Delete blood pressure of/ }).click();
          await see(page.getByText(/Delete this blood pressure reading of .* This cannot be undone\./));
          await shot('reading delete');
          await audit('reading delete');
          await page.getByRole('button', { name: 'Yes, delete' }).click();
          await see(page.getByRole('status').filter({ hasText: 'Reading deleted.' }));
          await expect.poll(() => readings.count(), WAIT).toBe(0);
          expect(await focused(page)).toBe('H2:Blood pressure');

          // Symptom journal: log, edit, delete.
          await followNav(page, 'Symptoms');
          await seeHeading(page, 'Symptom journal');
          await page.getByRole('button', { name: 'Save symptom' }).click();
          await textOf(page.locator('#symptom-symptom-error')).toContain('Say what the symptom is');
          await page.getByLabel('Symptom', { exact: true }).fill('Headache');
          await page.getByLabel('Severity').selectOption('4');
          await page.getByLabel('How long it lasted (optional) value').fill('90');
          await page.getByLabel('Notes (optional)').fill('After a long day at the screen');
          await page.getByRole('button', { name: 'Save symptom' }).click();
          const symptoms = page.getByTestId('symptom');
          await textOf(symptoms.first()).toContain('Headache');
          await textOf(symptoms.first()).toContain('Severity 4 of 10 (moderate)');
          await textOf(symptoms.first()).toMatch(/lasted 1\sh 30\smin/);
          await shot('symptom saved');
          await audit('symptom saved');
          if (phone) await noOverflow();
          await page.getByRole('button', { name: /^Edit Headache of/ }).click();
          await symptoms.first().getByLabel('Severity').selectOption('7');
          await page.getByRole('button', { name: 'Save changes' }).click();
          await textOf(symptoms.first()).toContain('Severity 7 of 10 (severe)');
          await page.getByRole('button', { name: /^Delete Headache of/ }).click();
          await page.getByRole('button', { name: 'Yes, delete' }).click();
          await expect.poll(() => symptoms.count(), WAIT).toBe(0);
          await page.getByLabel('Symptom', { exact: true }).fill('Dizziness');
          await page.getByLabel('Severity').selectOption('2');
          await page.getByRole('button', { name: 'Save symptom' }).click();
          await textOf(symptoms.first()).toContain('Dizziness');

          // Goals: a weight goal with a starting value shows its progress as a bar and in words.
          await followNav(page, 'Goals');
          await seeHeading(page, 'Goals');
          await see(page.getByText('No goals yet.'));
          await page.getByLabel('Measurement').selectOption('weight');
          await page.getByLabel('Bring it down').check();
          await page.getByLabel('Target value').fill('65');
          await page.getByLabel('Target unit').selectOption('kg');
          await page.getByLabel('Starting value, in kg (optional)').fill('75');
          await page.getByLabel('Reach it by').fill(dayIn('Europe/London', 180));
          await page.getByRole('button', { name: 'Save goal' }).click();
          const goal = page.getByTestId('goal').first();
          await textOf(goal).toContain('Body weight: down to 65 kg');
          // 150 lb is 68.04 kg: (75 - 68.04) / (75 - 65) = 69.6 % of the way.
          await textOf(goal).toContain('69.6 % of the way, latest reading 68 kg, 3.04 kg to go.');
          expect(Number(await goal.locator('progress').getAttribute('value'))).toBeCloseTo(69.6, 1);
          expect(await focused(page)).toBe('H3:Body weight: down to 65 kg');
          await shot('goal saved');
          await audit('goal saved');
          if (phone) await noOverflow();
          await goal.getByRole('button', { name: /^Edit / }).click();
          await goal.getByLabel('Target value').fill('60');
          await goal.getByRole('button', { name: 'Save changes' }).click();
          await textOf(goal).toContain('Body weight: down to 60 kg');
          await textOf(goal).toContain('46.4 % of the way');
          await shot('goal edited');

          expect(problems).toEqual([]);
        },
      );
    });
  });
}
