import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServiceSlug } from '../../catalog.js';
import { AppError, serviceUnavailable } from '../http/errors.js';
import { CircuitBreaker } from './breaker.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface CallOptions {
  method: HttpMethod;
  path: string;
  body?: unknown;
  /** The body already encoded as JSON, sent as is (instead of `body`): large batches encoded elsewhere. */
  json?: string | Uint8Array;
  /** Bearer token of the caller, forwarded so the callee applies the same ownership rules. */
  token?: string;
  requestId?: string;
  timeoutMs?: number;
  /** Extra request headers, e.g. Idempotency-Key. */
  headers?: Record<string, string>;
}

export interface CallResult<T = unknown> {
  status: number;
  body: T;
}

/** Where an in-process call goes: a Fastify instance and the prefix the service is mounted under. */
export interface LocalTarget {
  app: FastifyInstance;
  prefix: string;
}

const IDEMPOTENT = new Set<HttpMethod>(['GET', 'PUT', 'DELETE']);
const RETRYABLE_STATUS = new Set([502, 503, 504]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Typed calls between services. In the all-in-one shape (and for services sharing a process) a call is
 * an in-process `inject`; otherwise HTTP to the service's `*_SERVICE_URL`, with a timeout, retries for
 * idempotent methods only, and a circuit breaker per target.
 */
export class ServiceClients {
  private readonly breakers = new Map<ServiceSlug, CircuitBreaker>();

  constructor(
    private readonly serviceUrls: Record<ServiceSlug, string>,
    private readonly defaultTimeoutMs: number,
    private readonly localTargets: Map<ServiceSlug, LocalTarget> = new Map(),
    /** Header marking in-process calls so the gateway's per-client rate limit does not count them. */
    private readonly internalHeader?: { name: string; value: string },
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  registerLocal(slug: ServiceSlug, target: LocalTarget): void {
    this.localTargets.set(slug, target);
  }

  isLocal(slug: ServiceSlug): boolean {
    return this.localTargets.has(slug);
  }

  breaker(slug: ServiceSlug): CircuitBreaker {
    let breaker = this.breakers.get(slug);
    if (!breaker) {
      breaker = new CircuitBreaker();
      this.breakers.set(slug, breaker);
    }
    return breaker;
  }

  /** Calls made while answering `request`: its token and request id travel along. */
  onBehalfOf(request: FastifyRequest) {
    return <T = unknown>(slug: ServiceSlug, options: Omit<CallOptions, 'token' | 'requestId'>) =>
      this.call<T>(slug, { ...options, token: request.principal?.token, requestId: request.id });
  }

  async call<T = unknown>(slug: ServiceSlug, options: CallOptions): Promise<CallResult<T>> {
    const headers: Record<string, string> = { ...options.headers, accept: 'application/json' };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.requestId) headers['x-request-id'] = options.requestId;
    const payload =
      typeof options.json === 'string'
        ? options.json
        : options.json
          ? Buffer.from(options.json.buffer, options.json.byteOffset, options.json.byteLength)
          : options.body === undefined
            ? undefined
            : JSON.stringify(options.body);
    if (payload !== undefined) headers['content-type'] = 'application/json';

    const local = this.localTargets.get(slug);
    if (local) {
      if (this.internalHeader) headers[this.internalHeader.name] = this.internalHeader.value;
      const response = await local.app.inject({
        method: options.method,
        url: local.prefix + options.path,
        headers,
        ...(payload === undefined ? {} : { payload }),
      });
      return { status: response.statusCode, body: parseBody(response.body) as T };
    }
    return this.callHttp<T>(slug, options, headers, payload);
  }

  private async callHttp<T>(
    slug: ServiceSlug,
    options: CallOptions,
    headers: Record<string, string>,
    payload: string | Buffer | undefined,
  ): Promise<CallResult<T>> {
    const breaker = this.breaker(slug);
    const attempts = IDEMPOTENT.has(options.method) ? 3 : 1;
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt += 1) {
      if (attempt > 0) await sleep(100 * 2 ** (attempt - 1));
      if (!breaker.allow()) {
        throw serviceUnavailable(`The ${slug} service is unavailable (circuit open); try again shortly`, {
          service: slug,
        });
      }
      try {
        const response = await this.fetchImpl(this.serviceUrls[slug] + options.path, {
          method: options.method,
          headers,
          body: payload,
          signal: AbortSignal.timeout(options.timeoutMs ?? this.defaultTimeoutMs),
        });
        const text = await response.text();
        if (RETRYABLE_STATUS.has(response.status)) {
          breaker.failure();
          lastError = new Error(`HTTP ${response.status}`);
          if (attempt < attempts - 1) continue;
        } else {
          breaker.success();
        }
        return { status: response.status, body: parseBody(text) as T };
      } catch (err) {
        breaker.failure();
        lastError = err;
      }
    }
    if (lastError instanceof AppError) throw lastError;
    throw serviceUnavailable(`The ${slug} service did not answer`, { service: slug });
  }
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
