import { PDFDocument, StandardFonts } from 'pdf-lib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  bearer,
  errorCode,
  PASSWORD,
  registerAndLogin,
  useTestApp,
  type SignedIn,
} from '../../test-support/harness.js';
import { LINK_TTL_SECONDS } from './links.js';

const t = useTestApp();
const base = '/medical-records/api/v1';

/** A one-page PDF with a text layer (extracted without OCR, so uploads stay cheap), unique per title. */
async function letterPdf(title: string): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  doc.addPage([595, 842]).drawText(`Discharge letter ${title}`, { x: 50, y: 790, size: 14, font });
  return Buffer.from(await doc.save());
}
const uploaded = new Map<string, Buffer>();

/** Uploads a PDF as a document of `user`; answers its id. */
async function uploadDocument(user: SignedIn, filename: string): Promise<string> {
  const pdf = await letterPdf(`${user.userId} ${filename}`);
  const boundary = `----pha-link-test-${Math.random().toString(16).slice(2)}`;
  const payload = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nLab report\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n` +
        'Content-Type: application/pdf\r\n\r\n',
    ),
    pdf,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const res = await t.app.inject({
    method: 'POST',
    url: `${base}/documents`,
    headers: { ...bearer(user.accessToken), 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload,
  });
  expect([201, 202], res.body.slice(0, 300)).toContain(res.statusCode);
  const id = (res.json() as { id: string }).id;
  uploaded.set(id, pdf);
  return id;
}

async function linkFor(user: SignedIn, path: string): Promise<{ url: string; expires_at: string }> {
  const res = await t.app.inject({
    method: 'POST',
    url: `${base}${path}`,
    headers: bearer(user.accessToken),
  });
  expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
  return res.json() as { url: string; expires_at: string };
}

const open = (url: string, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'GET', url, headers });

const tokenOf = (url: string) => new URL(url, 'http://x').searchParams.get('link')!;

/** The same link with one character of its token changed at `index` (from the end when negative). */
function tampered(url: string, index: number): string {
  const token = tokenOf(url);
  const i = index < 0 ? token.length + index : index;
  const changed = token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
  return url.replace(token, changed);
}

afterEach(() => {
  vi.useRealTimers();
});

describe('signed links to the summary and to documents', () => {
  it('opens the printable summary through a link, without the token, with safe headers', async () => {
    const user = await registerAndLogin(t.app, 'Linda Link');
    const before = Date.now();
    const link = await linkFor(user, '/summary/link');
    expect(link.url).toMatch(/^\/medical-records\/api\/v1\/summary\.html\?link=v1\.[\w-]+\.[\w-]+$/);
    const expires = Date.parse(link.expires_at);
    expect(expires).toBeGreaterThan(before + (LINK_TTL_SECONDS - 5) * 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + LINK_TTL_SECONDS * 1000);

    const res = await open(link.url);
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    // The profile is read with an acting token (there is no bearer token to pass on): the name is there.
    expect(res.body).toContain('Linda Link');

    // The link of the same user sent with their own token is fine too.
    expect((await open(link.url, bearer(user.accessToken))).statusCode).toBe(200);
  });

  it('serves a document inline through its link, keeping its file name', async () => {
    const user = await registerAndLogin(t.app);
    const id = await uploadDocument(user, 'letter 2024.pdf');
    const link = await linkFor(user, `/documents/${id}/link`);
    expect(link.url).toBe(`/medical-records/api/v1/documents/${id}/content?link=${tokenOf(link.url)}`);

    const res = await open(link.url);
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    expect(res.rawPayload.equals(uploaded.get(id)!)).toBe(true);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['content-disposition']).toMatch(/^inline; filename="letter 2024\.pdf"/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toMatch(/no-store/);
    expect(res.headers['referrer-policy']).toBe('no-referrer');

    // With the token it is still the download it was.
    const download = await open(`${base}/documents/${id}/content`, bearer(user.accessToken));
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-disposition']).toMatch(/^attachment; /);
  });

  it('refuses a link once it has expired', async () => {
    const user = await registerAndLogin(t.app);
    const link = await linkFor(user, '/summary/link');
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.parse(link.expires_at) + 1000);
    const res = await open(link.url);
    expect(res.statusCode).toBe(401);
    expect(errorCode(res)).toBe('link_expired');
  });

  it('refuses a link whose token was altered anywhere, or that is not a token at all', async () => {
    const user = await registerAndLogin(t.app);
    const id = await uploadDocument(user, 'a.pdf');
    const link = await linkFor(user, `/documents/${id}/link`);
    const token = tokenOf(link.url);
    const payloadAt = token.indexOf('.') + 5;
    for (const url of [
      tampered(link.url, payloadAt),
      tampered(link.url, -2),
      link.url.replace(token, token.split('.').slice(0, 2).join('.')),
      link.url.replace(token, `${token}.x`),
      link.url.replace(token, 'not-a-link'),
      `${link.url}&link=${token}`,
    ]) {
      const res = await open(url);
      expect(res.statusCode, url).toBe(401);
      expect(errorCode(res), url).toBe('link_invalid');
    }
    // A payload naming another user cannot be signed without the key.
    const [version, body, mac] = token.split('.');
    const claims = JSON.parse(Buffer.from(body!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const other = await registerAndLogin(t.app);
    const forged = Buffer.from(JSON.stringify({ ...claims, u: other.userId })).toString('base64url');
    const res = await open(link.url.replace(token, `${version}.${forged}.${mac}`));
    expect(res.statusCode).toBe(401);
    expect(errorCode(res)).toBe('link_invalid');
  });

  it("keeps one account's links and documents from another account", async () => {
    const alice = await registerAndLogin(t.app);
    const bob = await registerAndLogin(t.app);
    const id = await uploadDocument(alice, 'alice.pdf');
    // Bob cannot ask for a link to Alice's document (its existence is not disclosed).
    const refused = await t.app.inject({
      method: 'POST',
      url: `${base}/documents/${id}/link`,
      headers: bearer(bob.accessToken),
    });
    expect(refused.statusCode).toBe(404);
    expect(errorCode(refused)).toBe('not_found');
    // Alice's links sent within Bob's session are refused: never her page in his.
    for (const path of [`/documents/${id}/link`, '/summary/link']) {
      const link = await linkFor(alice, path);
      const res = await open(link.url, bearer(bob.accessToken));
      expect(res.statusCode, path).toBe(401);
      expect(errorCode(res), path).toBe('link_other_user');
    }
  });

  it('does not open document B with the link of document A, nor the summary with a document link', async () => {
    const user = await registerAndLogin(t.app);
    const a = await uploadDocument(user, 'a.pdf');
    const b = await uploadDocument(user, 'b.pdf');
    const token = tokenOf((await linkFor(user, `/documents/${a}/link`)).url);
    const other = await open(`${base}/documents/${b}/content?link=${token}`);
    expect(other.statusCode).toBe(401);
    expect(errorCode(other)).toBe('link_other_resource');
    // Each purpose has its own key: a document link is no summary link, and the other way round.
    const summary = await open(`${base}/summary.html?link=${token}`);
    expect(summary.statusCode).toBe(401);
    expect(errorCode(summary)).toBe('link_invalid');
    const summaryToken = tokenOf((await linkFor(user, '/summary/link')).url);
    const asDocument = await open(`${base}/documents/${a}/content?link=${summaryToken}`);
    expect(asDocument.statusCode).toBe(401);
    expect(errorCode(asDocument)).toBe('link_invalid');
  });

  it('works on no other route', async () => {
    const user = await registerAndLogin(t.app);
    const id = await uploadDocument(user, 'a.pdf');
    const documentToken = tokenOf((await linkFor(user, `/documents/${id}/link`)).url);
    const summaryToken = tokenOf((await linkFor(user, '/summary/link')).url);
    for (const token of [documentToken, summaryToken]) {
      for (const path of [
        '/summary',
        `/documents/${id}`,
        '/documents',
        '/records',
        '/fhir/export',
        '/account/export',
      ]) {
        const res = await open(`${base}${path}?link=${token}`);
        expect(res.statusCode, path).toBe(401);
        expect(errorCode(res), path).toBe('unauthorized');
      }
      const erase = await t.app.inject({ method: 'DELETE', url: `${base}/account/data?link=${token}` });
      expect(erase.statusCode).toBe(401);
      const other = await open(`/user-profile/api/v1/profile?link=${token}`);
      expect(other.statusCode).toBe(401);
    }
    // Asking for a link needs the token itself.
    const anonymous = await t.app.inject({ method: 'POST', url: `${base}/summary/link` });
    expect(anonymous.statusCode).toBe(401);
  });

  it('ends every link of a sign-in when it is signed out, and when the account is deleted', async () => {
    const user = await registerAndLogin(t.app);
    const summary = await linkFor(user, '/summary/link');
    const logout = await t.app.inject({
      method: 'POST',
      url: '/auth/api/v1/auth/logout',
      headers: bearer(user.accessToken),
    });
    expect(logout.statusCode).toBe(204);
    const afterLogout = await open(summary.url);
    expect(afterLogout.statusCode).toBe(401);
    expect(errorCode(afterLogout)).toBe('session_revoked');

    const doomed = await registerAndLogin(t.app);
    const id = await uploadDocument(doomed, 'gone.pdf');
    const links = [await linkFor(doomed, '/summary/link'), await linkFor(doomed, `/documents/${id}/link`)];
    for (const link of links) expect((await open(link.url)).statusCode).toBe(200);
    const deleted = await t.app.inject({
      method: 'DELETE',
      url: '/auth/api/v1/auth/me',
      headers: bearer(doomed.accessToken),
      payload: { password: PASSWORD },
    });
    expect(deleted.statusCode, deleted.body).toBe(204);
    for (const link of links) {
      const res = await open(link.url);
      expect(res.statusCode, link.url).toBe(401);
      expect(errorCode(res)).toBe('session_revoked');
    }
  });
});
