import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutboxMailer, SmtpMailer, createMailer } from './mailer.js';

/** A pino logger writing into an array, one parsed JSON line per entry. */
function collectingLogger() {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines, raw };
}

const MESSAGE = {
  to: 'ana@example.org',
  subject: 'Reset your password',
  text: 'Open https://pha.example.org/reset?token=single-use-secret-token-123 within an hour.',
};

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'pha-mail-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('OutboxMailer', () => {
  it('writes the message to a file readable by the owner only', async () => {
    const dir = join(root, 'mail');
    const { logger } = collectingLogger();
    await new OutboxMailer(dir, logger).send(MESSAGE);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^\d{4}-\d{2}-\d{2}T[\d-]+Z-1\.eml$/);
    const path = join(dir, files[0]!);
    expect(readFileSync(path, 'utf8')).toBe(
      `To: ${MESSAGE.to}\nSubject: ${MESSAGE.subject}\n\n${MESSAGE.text}\n`,
    );
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('logs where the message is, never what it says', async () => {
    const dir = join(root, 'mail');
    const { logger, lines, raw } = collectingLogger();
    await new OutboxMailer(dir, logger).send(MESSAGE);
    expect(lines).toHaveLength(1);
    const path = join(dir, readdirSync(dir)[0]!);
    expect(lines[0]).toMatchObject({
      level: 30,
      path,
      subject: MESSAGE.subject,
      msg: 'no SMTP configured: message saved to the dev outbox',
    });
    const all = raw.join('\n');
    expect(all).not.toContain('single-use-secret-token-123');
    expect(all).not.toContain(MESSAGE.text);
  });

  it('keeps each message in its own file', async () => {
    const dir = join(root, 'mail');
    const { logger, lines } = collectingLogger();
    const mailer = new OutboxMailer(dir, logger);
    await mailer.send(MESSAGE);
    await mailer.send({ ...MESSAGE, subject: 'Second' });
    await mailer.send({ ...MESSAGE, subject: 'Third' });
    const files = readdirSync(dir).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    expect(files).toHaveLength(3);
    expect(new Set(lines.map((l) => l.path)).size).toBe(3);
    expect(files.map((f) => f.replace(/^.*-(\d+)\.eml$/, '$1')).sort()).toEqual(['1', '2', '3']);
  });

  it('describes itself by its directory', () => {
    const { logger } = collectingLogger();
    expect(new OutboxMailer('/srv/pha/mail', logger).description).toBe('dev outbox in /srv/pha/mail');
  });
});

describe('createMailer', () => {
  it('uses the outbox under DATA_DIR/mail without SMTP', () => {
    const { logger } = collectingLogger();
    const mailer = createMailer(undefined, root, logger);
    expect(mailer).toBeInstanceOf(OutboxMailer);
    expect(mailer.description).toBe(`dev outbox in ${join(root, 'mail')}`);
  });

  it('uses SMTP when configured, without the password in its description', () => {
    const { logger } = collectingLogger();
    const mailer = createMailer(
      { host: 'smtp.example.org', port: 587, secure: false, user: 'u', password: 'smtp-pass', from: 'x@y' },
      root,
      logger,
    );
    expect(mailer).toBeInstanceOf(SmtpMailer);
    expect(mailer.description).toBe('SMTP smtp.example.org:587');
  });
});
