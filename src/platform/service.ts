import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { Logger } from 'pino';
import type { ServiceSlug } from '../catalog.js';
import { serviceBySlug } from '../catalog.js';
import type { Cache } from './cache/cache.js';
import type { ServiceClients } from './clients/clients.js';
import type { Config } from './config.js';
import type { Db } from './db/db.js';
import type { EventBus } from './events/bus.js';
import { installAuthGuard, principalOf } from './auth/guard.js';
import type { SessionRevocations } from './auth/revocations.js';
import type { TokenVerifier } from './auth/tokens.js';
import type { Mailer } from './mail/mailer.js';
import { registry } from './http/metrics.js';
import type { Secrets } from './secrets.js';

/** Everything a service is handed at start-up. It reaches other services only through `clients`. */
export interface ServiceContext {
  config: Config;
  db: Db;
  cache: Cache;
  logger: Logger;
  clients: ServiceClients;
  verifier: TokenVerifier;
  revocations: SessionRevocations;
  mailer: Mailer;
  secrets: Secrets;
  /** Subscribe here (at registration); publish by appendEvent in the transaction of the change. */
  events: EventBus;
}

/** What a user's data in one service looks like to the account export and erase flows. */
export interface AccountDataHandlers {
  export(userId: string): Promise<unknown>;
  erase(userId: string): Promise<void>;
}

export interface ServiceModule {
  slug: ServiceSlug;
  version: string;
  description: string;
  /**
   * Routes that accept bodies larger than BODY_LIMIT_BYTES (batches, file uploads), relative to the
   * service root. The gateway lets these through to the service, which enforces the exact limit.
   */
  largeBodyRoutes?: readonly { method: string; path: string; limitBytes: number }[];
  /** Absolute path of the folder with this service's NNN_name.sql migrations. */
  migrationsDir?: string;
  /** Registers the routes (relative to the service root) and returns the account-data handlers, if any. */
  register(app: FastifyInstance, ctx: ServiceContext): Promise<AccountDataHandlers | void>;
}

const startedAt = Date.now();

/**
 * Mounts a service on `app` under `prefix` ('' when it has its own port) with what every service
 * has: the auth guard, /health, /ready, /metrics, /docs, and the account export/erase endpoints.
 */
export async function mountService(
  app: FastifyInstance,
  module: ServiceModule,
  ctx: ServiceContext,
  prefix: string,
): Promise<void> {
  const entry = serviceBySlug(module.slug);
  await app.register(
    async (scope) => {
      scope.addHook('onRequest', async (request) => {
        request.serviceLabel = module.slug;
      });
      await scope.register(swagger, {
        openapi: {
          openapi: '3.0.3',
          info: {
            title: `${entry?.title ?? module.slug} service`,
            version: module.version,
            description: module.description,
          },
          servers: [{ url: prefix === '' ? '/' : prefix }],
          components: {
            securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
          },
          security: [{ bearerAuth: [] }],
        },
      });
      installAuthGuard(scope, ctx.verifier, { slug: module.slug, prefix });

      scope.get(
        '/health',
        { config: { public: true }, schema: { tags: ['operations'], summary: 'Liveness', security: [] } },
        async () => ({
          status: 'ok',
          service: module.slug,
          version: module.version,
          uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
        }),
      );
      scope.get(
        '/ready',
        {
          config: { public: true },
          schema: {
            tags: ['operations'],
            summary: 'Readiness of this service and its dependencies',
            security: [],
          },
        },
        async (_request, reply) => {
          const checks: Record<string, string> = {};
          const probe = async (name: string, check: () => Promise<void>) => {
            try {
              await check();
              checks[name] = 'ok';
            } catch {
              checks[name] = 'unavailable';
            }
          };
          await Promise.all([
            probe(`database (${ctx.db.kind})`, () => ctx.db.ping()),
            probe(`cache (${ctx.cache.kind})`, () => ctx.cache.ping()),
          ]);
          const ready = Object.values(checks).every((v) => v === 'ok');
          return reply
            .status(ready ? 200 : 503)
            .send({ status: ready ? 'ready' : 'not_ready', service: module.slug, checks });
        },
      );
      scope.get(
        '/metrics',
        {
          config: { public: true },
          schema: { tags: ['operations'], summary: 'Prometheus metrics', security: [] },
        },
        async (_request, reply) => {
          reply.header('content-type', registry.contentType);
          return registry.metrics();
        },
      );
      scope.get('/docs', { config: { public: true }, schema: { hide: true } }, async () => scope.swagger());

      const account = await module.register(scope, ctx);
      if (account) {
        scope.get(
          '/api/v1/account/export',
          { schema: { tags: ['account'], summary: `Everything the ${module.slug} service holds about me` } },
          async (request) => ({
            service: module.slug,
            data: await account.export(principalOf(request).userId),
          }),
        );
        scope.delete(
          '/api/v1/account/data',
          {
            schema: {
              tags: ['account'],
              summary: `Erase everything the ${module.slug} service holds about me`,
            },
          },
          async (request, reply) => {
            await account.erase(principalOf(request).userId);
            return reply.status(204).send();
          },
        );
      }
    },
    { prefix },
  );
}
