import { createConnection } from 'node:net';
import nodemailer from 'nodemailer';
import { builtBackendServices } from '../catalog.js';
import type { Config } from './config.js';
import { openPostgres } from './db/postgres.js';
import { openRedis } from './cache/redis.js';
import { checkKafka } from './events/kafka-bus.js';
import { TOPICS } from './events/outbox.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

function tcpReachable(host: string, port: number, timeoutMs = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      resolve();
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

async function check(name: string, fn: () => Promise<string>): Promise<Check> {
  try {
    return { name, ok: true, detail: await fn() };
  } catch (err) {
    return { name, ok: false, detail: err instanceof Error ? err.message : String(err) };
  }
}

/** Asks every server the configuration names whether it answers. */
export async function runChecks(config: Config, options: { services: boolean }): Promise<Check[]> {
  const checks: Promise<Check>[] = [];
  if (config.databaseUrl) {
    checks.push(
      check('PostgreSQL (DATABASE_URL)', async () => {
        const db = openPostgres(config.databaseUrl!, 1);
        try {
          const { rows } = await db.query<{ version: string }>('SELECT version()');
          return rows[0]?.version.split(' on ')[0] ?? 'answers';
        } finally {
          await db.close();
        }
      }),
    );
  }
  if (config.redisUrl) {
    checks.push(
      check('Redis (REDIS_URL)', async () => {
        const cache = openRedis(config.redisUrl!);
        try {
          await cache.ping();
          return 'PONG';
        } finally {
          await cache.close();
        }
      }),
    );
  }
  if (config.smtp) {
    const smtp = config.smtp;
    checks.push(
      check(`SMTP ${smtp.host}:${smtp.port}`, async () => {
        const transport = nodemailer.createTransport({
          host: smtp.host,
          port: smtp.port,
          secure: smtp.secure,
          auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? '' } : undefined,
          connectionTimeout: 5000,
        });
        await transport.verify();
        return 'accepts connections';
      }),
    );
  }
  if (config.kafka.bootstrapServers) {
    checks.push(
      check(`Kafka (${config.kafka.bootstrapServers})`, async () => {
        // The real client: proves TLS and SASL credentials, not only that a port answers.
        const { security, missing } = await checkKafka(config.kafka);
        if (missing.length > 0) {
          throw new Error(
            `connected (${security}) but topics are missing: ${missing.join(', ')}; create them`,
          );
        }
        return `connected (${security}); topics ${TOPICS.join(', ')} present`;
      }),
    );
  }
  if (config.neo4j.uri) {
    const url = new URL(config.neo4j.uri);
    checks.push(
      check('Neo4j (NEO4J_URI)', async () => {
        await tcpReachable(url.hostname, Number(url.port || 7687));
        return 'reachable (TCP)';
      }),
    );
  }
  if (config.qdrant.url) {
    checks.push(
      check('Qdrant (QDRANT_URL)', async () => {
        const response = await fetch(new URL('/healthz', config.qdrant.url), {
          headers: config.qdrant.apiKey ? { 'api-key': config.qdrant.apiKey } : {},
          signal: AbortSignal.timeout(5000),
        });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        return 'healthy';
      }),
    );
  }
  if (options.services) {
    for (const service of builtBackendServices()) {
      const url = config.serviceUrls[service.slug];
      checks.push(
        check(`${service.slug} service (${url})`, async () => {
          const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) });
          if (!response.ok) throw new Error(`HTTP ${response.status}`);
          return 'up';
        }),
      );
    }
  }
  return Promise.all(checks);
}
