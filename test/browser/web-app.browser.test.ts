import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { currentTotp } from '../../src/services/auth/totp.js';
import { PASSWORD, uniqueEmail } from '../../src/test-support/harness.js';
import {
  DESKTOP,
  focused,
  followNav,
  inBrowser,
  overflow,
  PHONE,
  see,
  seeHeading,
  signUp,
  SMALL_PHONE,
  textOf,
  useWebServer,
  WAIT,
} from './support.js';

const server = useWebServer();

const valueOf = (locator: Locator) => expect.poll(() => locator.inputValue(), WAIT);
const attributeOf = (locator: Locator, name: string) => expect.poll(() => locator.getAttribute(name), WAIT);

async function signIn(page: Page, email: string, password = PASSWORD) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('web app', () => {
  it('signs up, edits the profile, turns on two-factor sign-in, signs in with it, exports and deletes the account', async () => {
    await inBrowser('account journey', server.baseUrl, DESKTOP, async ({ page, problems, shot, audit }) => {
      const email = uniqueEmail('web');
      // Signed out, the start page sends the visitor to sign in.
      await page.goto('/');
      await page.waitForURL(/\/sign-in$/, WAIT);
      await shot('sign in');
      await audit('sign in');
      await page.getByRole('link', { name: 'Create an account' }).click();
      await seeHeading(page, 'Create your account');
      await shot('sign up');
      await audit('sign up');

      await signUp(page, 'Ada Lovelace', email);
      await see(page.getByText('% complete'));
      await see(page.getByRole('link', { name: 'Lab results' }));
      await shot('dashboard');
      await audit('dashboard');

      // Profile: height in inches is kept as entered.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Profile' }).click();
      await seeHeading(page, 'Your profile');
      expect(await focused(page)).toBe('H1:Your profile');
      await page.getByLabel('Date of birth').fill('1985-12-10');
      await page.getByLabel('Sex', { exact: true }).selectOption('female');
      await page.getByLabel('Height value').fill('70');
      await page.getByLabel('Height unit').selectOption('in');
      await page.getByLabel('Weight value').fill('130');
      await page.getByLabel('Weight unit').selectOption('lb');
      await page.getByRole('button', { name: 'Save profile' }).click();
      await see(page.getByRole('status').filter({ hasText: 'Saved' }));
      await see(page.getByText('Stored as 177.8 cm.'));
      await shot('profile saved');
      await audit('profile saved');
      await page.reload();
      await valueOf(page.getByLabel('Height value')).toBe('70');
      await valueOf(page.getByLabel('Height unit')).toBe('in');
      await valueOf(page.getByLabel('Weight unit')).toBe('lb');
      await valueOf(page.getByLabel('Date of birth')).toBe('1985-12-10');

      // A bad value is named next to its field.
      await page.getByLabel('Height value').fill('700');
      await page.getByRole('button', { name: 'Save profile' }).click();
      await textOf(page.getByRole('alert')).toContain('Height');
      await attributeOf(page.getByLabel('Height value'), 'aria-invalid').toBe('true');
      await textOf(page.locator('#profile-height-error')).toContain('Height must be between');
      await shot('profile error');
      await audit('profile error');

      // Two-factor sign-in: the secret is shown as text; the code comes from it.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
      await seeHeading(page, 'Settings');
      // The time zone comes from the device with one press.
      await page.getByRole('button', { name: 'Use this device’s time zone (Europe/London)' }).click();
      await valueOf(page.getByLabel('Time zone')).toBe('Europe/London');
      await page.getByRole('button', { name: 'Save preferences' }).click();
      await see(page.getByRole('status').filter({ hasText: 'Preferences saved.' }));
      await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
      const secret = (await page.getByTestId('mfa-secret').innerText()).replace(/\s+/g, '');
      expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
      await page.getByText('Or use the setup link').click();
      await textOf(page.getByTestId('mfa-uri')).toContain(`secret=${secret}`);
      await shot('mfa enroll');
      await audit('mfa enroll');
      await page.getByLabel('Enter the 6-digit code the app shows').fill('000000');
      await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
      await textOf(page.locator('#mfa-confirm-code-error')).toContain('The code is not valid');
      await page.getByLabel('Enter the 6-digit code the app shows').fill(await currentTotp(secret));
      await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
      const codes = page.getByRole('list', { name: 'Backup codes' }).getByRole('listitem');
      await expect.poll(() => codes.count(), WAIT).toBe(10);
      const backupCode = (await codes.first().innerText()).trim();
      expect(backupCode).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
      await shot('backup codes');
      await audit('backup codes');
      await page.getByRole('button', { name: 'I have saved my codes' }).click();
      await see(page.getByText('Two-factor sign-in is on:'));

      // Sign out, then in again through the second step.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await seeHeading(page, 'Sign in');
      await see(page.getByText('You have signed out.'));
      await signIn(page, email);
      await seeHeading(page, 'Two-factor sign-in');
      expect(await focused(page)).toBe('H1:Two-factor sign-in');
      await shot('mfa step');
      await audit('mfa step');
      // The code of the next 30-second step: the one just used to confirm cannot be replayed.
      await page.getByLabel('Code').fill(await currentTotp(secret, Math.floor(Date.now() / 1000) + 30));
      await page.getByRole('button', { name: 'Continue' }).click();
      await seeHeading(page, 'Welcome, Ada');
      await see(page.getByText('100% complete'));

      // A tab opened from this one does not take over its session (the refresh token is rotated on
      // use: sharing it would end the session in both), and this tab carries on, reload included.
      const [other] = await Promise.all([
        page.context().waitForEvent('page'),
        page
          .getByRole('navigation', { name: 'Main' })
          .getByRole('link', { name: 'Profile' })
          .click({ modifiers: ['Control'] }),
      ]);
      await seeHeading(other, 'Sign in');
      await other.close();
      await page.reload();
      await seeHeading(page, 'Welcome, Ada');

      // Export: the JSON document from the profile service, downloaded.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download my data' }).click(),
      ]);
      expect(download.suggestedFilename()).toMatch(/^personal-health-export-\d{4}-\d{2}-\d{2}\.json$/);
      const exported = JSON.parse(readFileSync((await download.path())!, 'utf8'));
      expect(exported).toMatchObject({
        format: 'personal-health-assistant-export',
        account: { email, mfa_enabled: true },
        services: { 'user-profile': { height: { value: 70, unit: 'in' } } },
      });
      await see(page.getByRole('status').filter({ hasText: 'Downloaded' }));

      // Delete: password and a second factor (a backup code), after ticking the box.
      await page.locator('#delete-password').fill(PASSWORD);
      await page.locator('#delete-code').fill(backupCode);
      await page.getByRole('button', { name: 'Delete my account' }).click();
      await see(page.locator('#delete-confirm-error'));
      await page.getByLabel('I understand that my account and all my data will be deleted for good').check();
      await shot('delete');
      await audit('delete');
      await page.getByRole('button', { name: 'Delete my account' }).click();
      await seeHeading(page, 'Sign in');
      await see(page.getByText('Your account and all your data have been deleted.'));
      await signIn(page, email);
      await textOf(page.getByRole('alert')).toContain('Email or password is incorrect');
      await shot('deleted');

      expect(problems).toEqual([]);
    });
  });

  it('works at phone width with the keyboard, shows errors beside fields, and refreshes expired tokens', async () => {
    await inBrowser('phone and keyboard', server.baseUrl, PHONE, async ({ page, problems, shot, audit }) => {
      const email = uniqueEmail('phone');
      await page.goto('/sign-up');
      await seeHeading(page, 'Create your account');
      // The first Tab reaches the skip link, which moves focus to the main content.
      await page.keyboard.press('Tab');
      expect(await focused(page)).toBe('A:Skip to main content');
      await page.keyboard.press('Enter');
      expect(await focused(page)).toMatch(/^MAIN:/);

      // A weak password is refused by the server and named beside the field.
      await page.getByLabel('Full name').fill('Grace Hopper');
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password', { exact: true }).fill('password');
      await page.getByLabel('Password', { exact: true }).press('Enter');
      await see(page.getByRole('alert'));
      expect(await focused(page)).toMatch(/^DIV:Please correct the following/);
      await attributeOf(page.getByLabel('Password', { exact: true }), 'aria-invalid').toBe('true');
      await textOf(page.locator('#signup-password-error')).not.toBe('');
      await shot('sign up error');
      await audit('sign up error');
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: 'Create account' }).click();
      await seeHeading(page, 'Welcome, Grace');
      await shot('dashboard');
      await audit('dashboard');

      // Nothing is wider than the screen.
      expect(await overflow(page)).toBe(0);

      // An expired access token is refreshed once and the call retried.
      let refreshes = 0;
      page.on('request', (request) => {
        if (request.url().endsWith('/auth/api/v1/auth/refresh')) refreshes += 1;
      });
      let expireOnce = true;
      await page.route('**/user-profile/api/v1/profile', async (route) => {
        if (expireOnce) {
          expireOnce = false;
          return route.fulfill({
            status: 401,
            contentType: 'application/json',
            body: JSON.stringify({
              error: { code: 'token_expired', message: 'The access token has expired', request_id: 'test' },
            }),
          });
        }
        return route.continue();
      });
      await followNav(page, 'Profile');
      await valueOf(page.getByLabel('Name', { exact: true })).toBe('Grace Hopper');
      expect(refreshes).toBe(1);
      await shot('profile');

      // Settings at phone width.
      await followNav(page, 'Settings');
      await see(page.getByRole('heading', { name: 'Preferences' }));
      await page.getByLabel('Imperial (inches, pounds)').check();
      await page.getByLabel('Time zone').fill('Mars/Olympus');
      await page.getByRole('button', { name: 'Save preferences' }).click();
      await textOf(page.locator('#prefs-preferences-timezone-error')).toContain('is not an IANA time zone');
      await page.getByLabel('Time zone').fill('America/Chicago');
      await page.getByRole('button', { name: 'Save preferences' }).click();
      await see(page.getByRole('status').filter({ hasText: 'Preferences saved.' }));
      await shot('settings');
      await audit('settings');
      expect(await overflow(page)).toBe(0);

      // A refused refresh ends the session: back to sign in, saying why.
      await page.route('**/auth/api/v1/auth/refresh', (route) =>
        route.fulfill({
          status: 401,
          contentType: 'application/json',
          body: JSON.stringify({
            error: {
              code: 'invalid_refresh_token',
              message: 'The refresh token is not valid',
              request_id: 'test',
            },
          }),
        }),
      );
      expireOnce = true;
      await followNav(page, 'Profile');
      await seeHeading(page, 'Sign in');
      await see(page.getByText('Your session has ended. Please sign in again.'));
      await page.waitForURL(/\/sign-in\?next=%2Fprofile$/, WAIT);
      await shot('session ended');
      await audit('session ended');

      // Signing in again returns to the page that was asked for.
      await page.unroute('**/auth/api/v1/auth/refresh');
      await signIn(page, email);
      await seeHeading(page, 'Your profile');
      await valueOf(page.getByLabel('Height unit')).toBe('in');

      expect(problems).toEqual([]);
    });
  });

  it('verifies the email address from the mailed link and signs in with a backup code', async () => {
    await inBrowser(
      'email and backup code',
      server.baseUrl,
      SMALL_PHONE,
      async ({ page, problems, shot, audit }) => {
        const email = uniqueEmail('verify');
        await signUp(page, 'Katherine Johnson', email);
        await see(page.getByText('We emailed you a link to verify your address.'));
        const token = server.t.mailer.lastToken(email, /confirm your email/i);
        await page.goto(`/verify-email?token=${token}`);
        await see(page.getByText('Thank you: your email address is verified.'));
        await shot('verified');
        await audit('verified');
        await page.getByRole('link', { name: 'Go to your dashboard' }).click();
        await see(page.getByText('verified', { exact: true }));

        await page.goto('/settings#two-factor');
        await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
        const secret = (await page.getByTestId('mfa-secret').innerText()).replace(/\s+/g, '');
        await page.getByText('Or use the setup link').click();
        await shot('mfa enroll');
        await audit('mfa enroll');
        expect(await overflow(page)).toBe(0);
        await page.getByLabel('Enter the 6-digit code the app shows').fill(await currentTotp(secret));
        await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
        const backupCode = (
          await page.getByRole('list', { name: 'Backup codes' }).getByRole('listitem').nth(3).innerText()
        ).trim();
        await shot('backup codes');
        await audit('backup codes');
        expect(await overflow(page)).toBe(0);
        await page.getByRole('button', { name: 'I have saved my codes' }).click();
        await followNav(page, 'Sign out', 'button');

        await signIn(page, email);
        await page.getByLabel('Code').fill('zzzzz-zzzzz');
        await page.getByRole('button', { name: 'Continue' }).click();
        await textOf(page.locator('#mfa-code-error')).toContain('The code is not valid');
        await shot('mfa code error');
        await audit('mfa code error');
        await page.getByLabel('Code').fill(backupCode.toUpperCase());
        await page.getByRole('button', { name: 'Continue' }).click();
        await seeHeading(page, 'Welcome, Katherine');

        // Unknown addresses in the app get the app's own page, not an API error.
        await page.goto('/no-such-page');
        await seeHeading(page, 'Page not found');
        expect(problems).toEqual([]);
      },
    );
  });
});
