import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpMailer } from './mailer.js';

/** A real SMTP conversation with a local server: what SmtpMailer sends is what arrives. */
let server: SMTPServer;
let port: number;
const received: { from: string; to: string[]; data: string; user?: string }[] = [];

beforeAll(async () => {
  server = new SMTPServer({
    secure: false,
    authOptional: false,
    // The test server has no certificate of its own: plain SMTP on loopback.
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      if (auth.username === 'mailer' && auth.password === 'smtp-pass')
        callback(null, { user: auth.username });
      else callback(new Error('bad credentials'));
    },
    onData(stream, session, callback) {
      let data = '';
      stream.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data,
          user: session.user as string | undefined,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('SmtpMailer', () => {
  it('delivers through an authenticated SMTP server', async () => {
    const mailer = new SmtpMailer({
      host: '127.0.0.1',
      port,
      secure: false,
      user: 'mailer',
      password: 'smtp-pass',
      from: 'PHA <no-reply@pha.test>',
    });
    await mailer.send({ to: 'person@example.org', subject: 'Reset your password', text: 'token=abc123' });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      from: 'no-reply@pha.test',
      to: ['person@example.org'],
      user: 'mailer',
    });
    expect(received[0]!.data).toContain('Subject: Reset your password');
    expect(received[0]!.data).toContain('token=abc123');
  });

  it('fails loudly when the server refuses the credentials', async () => {
    const mailer = new SmtpMailer({
      host: '127.0.0.1',
      port,
      secure: false,
      user: 'mailer',
      password: 'wrong',
      from: 'x@pha.test',
    });
    await expect(mailer.send({ to: 'person@example.org', subject: 's', text: 't' })).rejects.toThrow();
  });
});
