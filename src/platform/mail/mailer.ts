import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { SmtpConfig } from '../config.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** The Mailer port: SMTP when configured, otherwise a local outbox a developer can read. */
export interface Mailer {
  readonly description: string;
  send(message: MailMessage): Promise<void>;
}

export class SmtpMailer implements Mailer {
  readonly description: string;
  private transport?: Promise<Transporter>;

  constructor(private readonly smtp: SmtpConfig) {
    this.description = `SMTP ${smtp.host}:${smtp.port}`;
  }

  async send(message: MailMessage): Promise<void> {
    // nodemailer is loaded on first use: without SMTP configured it is never needed.
    this.transport ??= import('nodemailer').then(({ default: nodemailer }) =>
      nodemailer.createTransport({
        host: this.smtp.host,
        port: this.smtp.port,
        secure: this.smtp.secure,
        auth: this.smtp.user ? { user: this.smtp.user, pass: this.smtp.password ?? '' } : undefined,
      }),
    );
    await (await this.transport).sendMail({ from: this.smtp.from, ...message });
  }
}

/**
 * Without SMTP, each message is written as a file under DATA_DIR/mail (readable by the operator only)
 * and the log says where, never what: the message holds a single-use link.
 */
export class OutboxMailer implements Mailer {
  readonly description: string;
  private sequence = 0;

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {
    this.description = `dev outbox in ${dir}`;
  }

  async send(message: MailMessage): Promise<void> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.sequence += 1;
    const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${this.sequence}.eml`;
    const path = join(this.dir, name);
    writeFileSync(path, `To: ${message.to}\nSubject: ${message.subject}\n\n${message.text}\n`, {
      mode: 0o600,
    });
    this.logger.info(
      { path, subject: message.subject },
      'no SMTP configured: message saved to the dev outbox',
    );
  }
}

export function createMailer(smtp: SmtpConfig | undefined, dataDir: string, logger: Logger): Mailer {
  return smtp ? new SmtpMailer(smtp) : new OutboxMailer(join(dataDir, 'mail'), logger);
}
