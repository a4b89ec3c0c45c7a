import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger('info', stream) };
}

describe('logger redaction', () => {
  it('keeps secrets out of logged objects and headers', () => {
    const { lines, logger } = capture();
    logger.info(
      { req: { headers: { authorization: 'Bearer abc.def.ghi' } }, body: { password: 'hunter22' } },
      'request',
    );
    const text = lines.join('');
    expect(text).not.toContain('abc.def.ghi');
    expect(text).not.toContain('hunter22');
    expect(text).toContain('[redacted]');
  });

  it("keeps a database error's row values out of the log, but not its message", () => {
    const { lines, logger } = capture();
    const err = Object.assign(new Error('duplicate key value violates unique constraint "entries_pkey"'), {
      detail: 'Key (user_id, note)=(0190b7a0, chest pain at night) already exists.',
      where: 'SQL statement "INSERT INTO x VALUES (\'glucose 312\')"',
    });
    logger.error({ err }, 'query failed');
    const text = lines.join('');
    expect(text).toContain('duplicate key value');
    expect(text).not.toContain('chest pain');
    expect(text).not.toContain('glucose 312');
  });
});
