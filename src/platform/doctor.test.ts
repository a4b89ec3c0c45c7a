import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeConfig, loadConfig } from './config.js';
import { runChecks } from './doctor.js';

let server: Server;
let port: number;
beforeAll(async () => {
  // Answers like a healthy service on /health and like Qdrant on /healthz.
  server = createServer((req, res) => {
    res.statusCode = req.url === '/health' || req.url === '/healthz' ? 200 : 404;
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('pha doctor checks', () => {
  it('reports nothing to check when everything is embedded', async () => {
    expect(await runChecks(loadConfig({}), { services: false })).toEqual([]);
  });

  it('fails for servers that do not answer and passes for those that do', async () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      REDIS_URL: 'redis://127.0.0.1:1',
      KAFKA_BOOTSTRAP_SERVERS: `127.0.0.1:${port}`,
      QDRANT_URL: `http://127.0.0.1:${port}`,
      AUTH_SERVICE_URL: `http://127.0.0.1:${port}`,
      USER_PROFILE_SERVICE_URL: 'http://127.0.0.1:1',
    });
    const checks = await runChecks(config, { services: true });
    const byName = Object.fromEntries(checks.map((c) => [c.name.split(' ')[0], c.ok]));
    expect(byName).toMatchObject({
      PostgreSQL: false,
      Redis: false,
      // An HTTP server is not a Kafka broker: the real client says so.
      Kafka: false,
      Qdrant: true,
      auth: true,
      'user-profile': false,
    });
  });

  it.skipIf(!process.env.DATABASE_URL || !process.env.REDIS_URL)(
    'passes against this machine’s PostgreSQL and Redis',
    async () => {
      const checks = await runChecks(
        loadConfig({ DATABASE_URL: process.env.DATABASE_URL!, REDIS_URL: process.env.REDIS_URL! }),
        { services: false },
      );
      expect(checks.map((c) => c.ok)).toEqual([true, true]);
    },
  );

  it('prints no secrets', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://app:db-password-123@db.example.org:5432/pha',
      JWT_SECRET_KEY: 'jwt-secret-value-that-is-long-enough-000000',
      SMTP_HOST: 'smtp.example.org',
      SMTP_PASSWORD: 'smtp-password-456',
    });
    const printed = JSON.stringify(describeConfig(config));
    for (const secret of ['db-password-123', 'jwt-secret-value', 'smtp-password-456'])
      expect(printed).not.toContain(secret);
  });
});
