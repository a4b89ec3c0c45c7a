import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { CATALOG, serviceBySlug, type ServiceSlug } from './catalog.js';
import { CacheRevocations } from './platform/auth/revocations.js';
import { TokenVerifier } from './platform/auth/tokens.js';
import type { Cache } from './platform/cache/cache.js';
import { MemoryCache } from './platform/cache/memory.js';
import type { RedisCache } from './platform/cache/redis.js';
import { ServiceClients } from './platform/clients/clients.js';
import type { Config } from './platform/config.js';
import type { Db } from './platform/db/db.js';
import { migrate, readMigrations } from './platform/db/migrate.js';
import { openPgliteDirectory } from './platform/db/pglite.js';
import type { EventBus } from './platform/events/bus.js';
import { openEventBus, OutboxRelay } from './platform/events/events.js';
import { createHttpApp } from './platform/http/server.js';
import { AppError } from './platform/http/errors.js';
import { createLogger } from './platform/logger.js';
import { createMailer, type Mailer } from './platform/mail/mailer.js';
import { resolveSecrets } from './platform/secrets.js';
import { mountService, type ServiceContext, type ServiceModule } from './platform/service.js';
import {
  gatewayServices,
  installGatewayEdge,
  registerGatewayRoutes,
} from './services/api-gateway/gateway.js';
import { serveWebApp } from './services/api-gateway/web.js';
import { SERVICE_MODULES } from './services/registry.js';

export interface Infrastructure {
  db: Db;
  cache: Cache;
  logger: Logger;
  mailer: Mailer;
  events: EventBus;
}

export interface RuntimeOptions {
  /** Provided by tests; otherwise opened from the configuration. */
  infrastructure?: Partial<Infrastructure>;
  /** Listen on the network (false in tests, which use inject). */
  listen?: boolean;
  /** Ports to use instead of the seed ports (tests pass 0 for any free port). */
  ports?: Partial<Record<ServiceSlug, number>>;
}

export interface Runtime {
  /** The all-in-one server, or the first served service. */
  apps: { slug: ServiceSlug | 'all-in-one'; app: FastifyInstance; port: number }[];
  infrastructure: Infrastructure;
  clients: ServiceClients;
  /** Publishes the outbox; absent in a process that serves no backend service. */
  relay?: OutboxRelay;
  close(): Promise<void>;
}

// Drivers for external servers are loaded only when configured: the embedded shape never pays for them.
export async function openDatabase(config: Config): Promise<Db> {
  if (!config.databaseUrl) return openPgliteDirectory(config.dataDir);
  const { openPostgres } = await import('./platform/db/postgres.js');
  return openPostgres(config.databaseUrl);
}

export async function openCache(config: Config): Promise<Cache> {
  if (!config.redisUrl) return new MemoryCache();
  const { openRedis } = await import('./platform/cache/redis.js');
  return openRedis(config.redisUrl);
}

export function moduleFor(slug: ServiceSlug): ServiceModule {
  const module = SERVICE_MODULES[slug];
  if (!module) throw new Error(`The ${slug} service is not built yet`);
  return module;
}

const PLATFORM_MIGRATIONS = fileURLToPath(new URL('./platform/events/migrations', import.meta.url));

/** Applies the platform's pending migrations (outbox), then those of the given services, in catalogue order. */
export async function migrateServices(
  db: Db,
  slugs: readonly ServiceSlug[],
): Promise<Record<string, number[]>> {
  const applied: Record<string, number[]> = {};
  applied.platform = await migrate(db, 'platform', readMigrations(PLATFORM_MIGRATIONS));
  for (const entry of CATALOG) {
    if (!slugs.includes(entry.slug)) continue;
    const module = SERVICE_MODULES[entry.slug];
    if (!module?.migrationsDir) continue;
    applied[entry.slug] = await migrate(db, entry.slug, readMigrations(module.migrationsDir));
  }
  return applied;
}

async function openInfrastructure(
  config: Config,
  provided: Partial<Infrastructure> = {},
  shape: 'all-in-one' | 'distributed' = 'all-in-one',
  needsDatabase = true,
): Promise<Infrastructure> {
  const logger = provided.logger ?? createLogger(config.logLevel);
  const db = provided.db ?? (needsDatabase ? await openDatabase(config) : noDatabase());
  const cache = provided.cache ?? (await openCache(config));
  const mailer = provided.mailer ?? createMailer(config.smtp, config.dataDir, logger);
  const events = provided.events ?? (await openEventBus(config, shape, logger));
  return { db, cache, logger, mailer, events };
}

/**
 * A gateway-only process keeps no data: opening an embedded database there would cost hundreds of MB
 * for nothing. Any use of this one is a programming error and says so.
 */
function noDatabase(): Db {
  const refuse = () => Promise.reject(new Error('This process serves no database-backed service'));
  return {
    kind: 'postgres',
    query: refuse,
    transaction: refuse,
    exec: refuse,
    ping: refuse,
    close: async () => {},
  };
}

/** Starts relaying the outbox; `sources` limits it to the events of this process's services. */
function startRelay(infra: Infrastructure, sources?: string[]): OutboxRelay {
  const relay = new OutboxRelay(infra.db, infra.events, infra.logger.child({ component: 'outbox-relay' }), {
    sources,
  });
  relay.start();
  return relay;
}

function serviceContext(config: Config, infra: Infrastructure, clients: ServiceClients): ServiceContext {
  const secrets = resolveSecrets(config);
  const revocations = new CacheRevocations(infra.cache);
  const verifier = new TokenVerifier(secrets.jwtSecret, revocations, config.supabase.jwtSecret);
  return { config, ...infra, clients, verifier, revocations, secrets };
}

function redisOf(cache: Cache): { client: RedisCache['client']; prefix: string } | undefined {
  return cache.kind === 'redis'
    ? { client: (cache as RedisCache).client, prefix: (cache as RedisCache).prefix }
    : undefined;
}

async function closeAll(
  apps: FastifyInstance[],
  infra: Infrastructure,
  owned: Partial<Infrastructure>,
  relay?: OutboxRelay,
) {
  await relay?.stop();
  await Promise.all(apps.map((app) => app.close()));
  if (!owned.events) await infra.events.close();
  if (!owned.cache) await infra.cache.close();
  if (!owned.db) await infra.db.close();
}

/** The default shape: every built service mounted under the gateway in one process, on one port. */
export async function startAllInOne(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const provided = options.infrastructure ?? {};
  const infra = await openInfrastructure(config, provided, 'all-in-one');
  const slugs = gatewayServices().map((s) => s.slug);
  await migrateServices(infra.db, slugs);

  const app = createHttpApp({
    logger: infra.logger,
    bodyLimitBytes: config.bodyLimitBytes,
    trustProxy: config.trustProxy ?? false,
    serviceLabel: 'api-gateway',
  });
  const internalHeader = { name: 'x-pha-internal', value: randomBytes(24).toString('base64url') };
  const clients = new ServiceClients(
    config.serviceUrls,
    config.httpClientTimeoutMs,
    new Map(),
    internalHeader,
  );
  const ctx = serviceContext(config, infra, clients);
  const gatewayOptions = {
    config,
    clients,
    services: gatewayServices(),
    redis: redisOf(infra.cache),
    internalHeader,
  };
  await installGatewayEdge(app, gatewayOptions);
  registerGatewayRoutes(app, gatewayOptions);
  await serveWebApp(app);
  for (const slug of slugs) {
    clients.registerLocal(slug, { app, prefix: `/${slug}` });
    await mountService(app, moduleFor(slug), ctx, `/${slug}`);
  }
  await app.ready();
  if (options.listen !== false) await app.listen({ host: config.host, port: config.port });
  const port = options.listen === false ? config.port : addressPort(app, config.port);
  const relay = startRelay(infra);
  return {
    apps: [{ slug: 'all-in-one', app, port }],
    infrastructure: infra,
    clients,
    relay,
    close: () => closeAll([app], infra, provided, relay),
  };
}

/**
 * The distributed shape: each named service its own HTTP server on its seed port (several may share
 * this process). Calls to services in this process stay in-process; the rest go over HTTP.
 */
export async function startServices(
  config: Config,
  slugs: ServiceSlug[],
  options: RuntimeOptions = {},
): Promise<Runtime> {
  for (const slug of slugs) {
    if (!serviceBySlug(slug)?.built) throw new Error(`The ${slug} service is not built yet`);
  }
  const provided = options.infrastructure ?? {};
  const infra = await openInfrastructure(
    config,
    provided,
    'distributed',
    slugs.some((s) => s !== 'api-gateway'),
  );
  const backendSlugs = slugs.filter((s) => s !== 'api-gateway');
  if (backendSlugs.length > 0) await migrateServices(infra.db, backendSlugs);
  const clients = new ServiceClients(config.serviceUrls, config.httpClientTimeoutMs);
  const ctx = serviceContext(config, infra, clients);
  // On hosts that assign the port (Render), a single service listens on PORT.
  const singlePort = slugs.length === 1 && process.env.PORT ? config.port : undefined;

  const apps: Runtime['apps'] = [];
  for (const slug of slugs) {
    const entry = serviceBySlug(slug)!;
    const app = createHttpApp({
      logger: infra.logger.child({ service: slug }),
      bodyLimitBytes: config.bodyLimitBytes,
      // Behind the gateway (same host or private network) backends take the client address it forwards.
      trustProxy: config.trustProxy ?? (slug === 'api-gateway' ? false : 'loopback,linklocal,uniquelocal'),
      serviceLabel: slug,
    });
    if (slug === 'api-gateway') {
      const gatewayOptions = { config, clients, services: gatewayServices(), redis: redisOf(infra.cache) };
      await installGatewayEdge(app, gatewayOptions);
      registerGatewayRoutes(app, gatewayOptions);
      await serveWebApp(app);
      const { default: httpProxy } = await import('@fastify/http-proxy');
      for (const service of gatewayServices()) {
        await app.register(httpProxy, {
          upstream: config.serviceUrls[service.slug],
          prefix: `/${service.slug}`,
          rewritePrefix: '',
          replyOptions: {
            // The client address as the gateway established it, replacing whatever the client claimed.
            rewriteRequestHeaders: (request, headers) => ({
              ...headers,
              'x-request-id': request.id,
              'x-forwarded-for': request.ip,
            }),
            // Refused connections, resets and timeouts all mean the service is not answering.
            onError: (reply, { error }) => {
              const timeout = (error as { statusCode?: number }).statusCode === 504;
              void reply.send(
                new AppError(
                  timeout ? 504 : 503,
                  timeout ? 'upstream_timeout' : 'service_unavailable',
                  `The ${service.slug} service did not answer`,
                  { service: service.slug },
                ),
              );
            },
          },
        });
      }
    } else {
      clients.registerLocal(slug, { app, prefix: '' });
      await mountService(app, moduleFor(slug), ctx, '');
    }
    await app.ready();
    const port = options.ports?.[slug] ?? singlePort ?? entry.port;
    if (options.listen !== false) await app.listen({ host: config.host, port });
    apps.push({ slug, app, port: options.listen === false ? port : addressPort(app, port) });
  }
  // With the in-process bus only this process's consumers hear an event: relay only its services' events.
  const sources = infra.events.kind === 'in-process' ? backendSlugs.map((s) => `/pha/${s}`) : undefined;
  const relay = backendSlugs.length > 0 ? startRelay(infra, sources) : undefined;
  return {
    apps,
    infrastructure: infra,
    clients,
    relay,
    close: () =>
      closeAll(
        apps.map((a) => a.app),
        infra,
        provided,
        relay,
      ),
  };
}

function addressPort(app: FastifyInstance, fallback: number): number {
  const address = app.server.address();
  return typeof address === 'object' && address !== null ? address.port : fallback;
}
