import type { FastifyInstance, FastifyRequest } from 'fastify';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Redis } from 'ioredis';
import { builtBackendServices, type ServiceEntry } from '../../catalog.js';
import type { ServiceClients } from '../../platform/clients/clients.js';
import type { Config } from '../../platform/config.js';
import { AppError } from '../../platform/http/errors.js';
import { SERVICE_MODULES } from '../registry.js';
import { mergeOpenApi, type OpenApiDocument } from './openapi.js';

export interface GatewayOptions {
  config: Config;
  clients: ServiceClients;
  /** Services the gateway fronts. */
  services: ServiceEntry[];
  /** Redis for shared rate-limit counters, under the cache's key prefix. */
  redis?: { client: Redis; prefix: string };
  /** Header that marks the platform's own in-process calls (exempt from per-client limits). */
  internalHeader?: { name: string; value: string };
}

const AUTH_PREFIX = '/auth/api/v1/auth/';

/**
 * The edge every request passes: security headers, CORS allow-list, rate limits (stricter for sign-in
 * and account routes), and the gateway's own /health, /ready and /docs.
 */
export async function installGatewayEdge(app: FastifyInstance, options: GatewayOptions): Promise<void> {
  const { config } = options;
  await app.register(helmet, {
    // The API answers JSON; the docs page brings its own CSP (staticCSP below).
    contentSecurityPolicy: false,
    crossOriginResourcePolicy: { policy: 'same-site' },
  });
  await app.register(cors, {
    origin: config.corsOrigins.includes('*')
      ? true
      : config.corsOrigins.length > 0
        ? config.corsOrigins
        : false,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    // api-secret: Nightscout uploaders running in a browser.
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-request-id', 'api-secret'],
    exposedHeaders: ['x-request-id', 'retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining'],
    maxAge: 600,
  });
  // Proxied bodies are streamed to the services, past Fastify's own body limit: refuse them here first.
  // Routes the services declare for batches and uploads get their own, larger allowance.
  const largeBodies = new Map<string, number>(
    options.services.flatMap((service) =>
      (SERVICE_MODULES[service.slug]?.largeBodyRoutes ?? []).map(
        (r) => [`${r.method} /${service.slug}${r.path}`, r.limitBytes] as const,
      ),
    ),
  );
  app.addHook('onRequest', async (request) => {
    const length = Number(request.headers['content-length'] ?? 0);
    const limit = largeBodies.get(`${request.method} ${request.url.split('?')[0]}`) ?? config.bodyLimitBytes;
    if (length > limit) {
      throw new AppError(413, 'payload_too_large', `The request body is larger than ${limit} bytes`);
    }
  });
  const isAuthRoute = (request: FastifyRequest) => request.url.startsWith(AUTH_PREFIX);
  await app.register(rateLimit, {
    global: true,
    timeWindow: 60_000,
    max: (request) => (isAuthRoute(request) ? config.authRateLimitPerMinute : config.rateLimitPerMinute),
    keyGenerator: (request) => `${request.ip}${isAuthRoute(request) ? ':auth' : ''}`,
    allowList: (request) =>
      options.internalHeader !== undefined &&
      request.headers[options.internalHeader.name] === options.internalHeader.value,
    ...(options.redis
      ? { redis: options.redis.client, nameSpace: `${options.redis.prefix}rate-limit:` }
      : {}),
    errorResponseBuilder: (_request, context) =>
      new AppError(
        429,
        'rate_limited',
        `Too many requests; try again in ${Math.ceil(context.ttl / 1000)} seconds`,
        { limit: context.max, retry_after_seconds: Math.ceil(context.ttl / 1000) },
      ),
  });
}

export function registerGatewayRoutes(app: FastifyInstance, options: GatewayOptions): void {
  const { clients, services } = options;

  async function serviceStates() {
    return Promise.all(
      services.map(async (service) => {
        try {
          const result = await clients.call(service.slug, {
            method: 'GET',
            path: '/health',
            timeoutMs: 3000,
          });
          return {
            service: service.slug,
            status: result.status === 200 ? 'up' : 'down',
            http_status: result.status,
          };
        } catch {
          return { service: service.slug, status: 'down', http_status: null };
        }
      }),
    );
  }

  app.get('/health', { schema: { hide: true } }, async () => {
    const states = await serviceStates();
    return {
      status: states.every((s) => s.status === 'up') ? 'ok' : 'degraded',
      service: 'api-gateway',
      shape: options.config.shape,
      services: states,
    };
  });

  app.get('/ready', { schema: { hide: true } }, async (_request, reply) => {
    const states = await serviceStates();
    const ready = states.every((s) => s.status === 'up');
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', services: states });
  });

  let merged: OpenApiDocument | undefined;
  async function gatherDocs(): Promise<OpenApiDocument> {
    const docs = await Promise.all(
      services.map(async (service) => {
        try {
          const result = await clients.call<OpenApiDocument>(service.slug, { method: 'GET', path: '/docs' });
          return result.status === 200 ? { slug: service.slug, doc: result.body } : undefined;
        } catch {
          return undefined;
        }
      }),
    );
    merged = mergeOpenApi(docs.filter((d) => d !== undefined));
    return merged;
  }

  app.get('/docs/openapi.json', { schema: { hide: true } }, async () => gatherDocs());

  void app.register(async (docs) => {
    // The page lists every service's own document; /docs/json is the gateway's index document.
    await docs.register(swagger, { mode: 'static', specification: { document: mergeOpenApi([]) as never } });
    await docs.register(swaggerUi, {
      routePrefix: '/docs',
      staticCSP: true,
      uiConfig: {
        urls: [
          { url: '/docs/openapi.json', name: 'All services' },
          ...services.map((s) => ({ url: `/${s.slug}/docs`, name: s.title })),
        ],
      },
    });
  });
}

export function gatewayServices(): ServiceEntry[] {
  return builtBackendServices();
}
