import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { errorBody, handleError } from './errors.js';
import { httpDuration, httpRequests } from './metrics.js';
import { validatorCompiler } from './validation.js';

export interface HttpAppOptions {
  logger: Logger;
  bodyLimitBytes: number;
  trustProxy: boolean | number | string;
  /** Label for metrics and logs of routes outside any service scope (the gateway). */
  serviceLabel: string;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

declare module 'fastify' {
  interface FastifyRequest {
    /** Service that answered the request, set by the service scope (for metrics). */
    serviceLabel?: string;
  }
}

/**
 * A Fastify instance with the conventions every service shares: the error shape, request ids taken
 * from `x-request-id` (or made) and echoed back, strict validation, one log line and metrics per request.
 */
export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger,
    // One summary line per request is written in onResponse below, without URLs or bodies.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimitBytes,
    // A hop count n trusts the n proxies nearest to this server.
    trustProxy:
      typeof options.trustProxy === 'number'
        ? (_address: string, hop: number) => hop < (options.trustProxy as number)
        : options.trustProxy,
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: true },
    return503OnClosing: true,
  });
  // The API speaks JSON: other bodies get 415 rather than reaching validation as strings.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => {
    reply
      .status(404)
      .send(errorBody(request, 'not_found', `No route for ${request.method} ${request.url.split('?')[0]}`));
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const service = request.serviceLabel ?? options.serviceLabel;
    const seconds = reply.elapsedTime / 1000;
    httpRequests.inc({ service, method: request.method, route, status_code: reply.statusCode });
    httpDuration.observe({ service, method: request.method, route }, seconds);
    // Route template, never the raw URL: query strings may carry personal data.
    if (reply.statusCode >= 500) {
      request.log.error({
        service,
        method: request.method,
        route,
        status: reply.statusCode,
        ms: reply.elapsedTime,
      });
    } else {
      request.log.debug({
        service,
        method: request.method,
        route,
        status: reply.statusCode,
        ms: reply.elapsedTime,
      });
    }
  });
  return app as unknown as FastifyInstance;
}
