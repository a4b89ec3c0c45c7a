import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { AppError } from '../http/errors.js';
import { ServiceClients } from './clients.js';

const serviceUrls = loadConfig({
  AUTH_SERVICE_URL: 'http://auth.internal:8000/',
  USER_PROFILE_SERVICE_URL: 'http://profile.internal:8001',
}).serviceUrls;

interface Recorded {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
  signal: AbortSignal | undefined;
}

type Step = { status: number; body?: string } | Error | 'hang';

/** A fetch that answers from a script (the last step repeats) and records every request. */
function scriptedFetch(...steps: Step[]) {
  const calls: Recorded[] = [];
  const impl = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({
      url: String(input),
      method: init?.method ?? 'GET',
      headers: { ...(init?.headers as Record<string, string>) },
      body: init?.body as string | undefined,
      signal: init?.signal ?? undefined,
    });
    const step = steps[Math.min(calls.length - 1, steps.length - 1)]!;
    if (step === 'hang') {
      return new Promise<Response>((_, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal!.reason));
      });
    }
    if (step instanceof Error) throw step;
    return new Response(step.body ?? null, { status: step.status });
  }) as typeof fetch;
  return { impl, calls };
}

const ok = (body: unknown = { ok: true }) => ({ status: 200, body: JSON.stringify(body) });
const networkError = () => new TypeError('fetch failed');

function clientsWith(fetchImpl: typeof fetch, timeoutMs = 2000) {
  return new ServiceClients(
    serviceUrls,
    timeoutMs,
    new Map(),
    { name: 'x-pha-internal', value: 'in' },
    fetchImpl,
  );
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('ServiceClients over HTTP', () => {
  it('calls the service URL with the method, path, token and request id', async () => {
    const { impl, calls } = scriptedFetch(ok({ id: 'u1' }));
    const result = await clientsWith(impl).call('auth', {
      method: 'GET',
      path: '/api/v1/auth/me?x=1',
      token: 'tok-123',
      requestId: 'req-abcdef12',
    });
    expect(result).toEqual({ status: 200, body: { id: 'u1' } });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      url: 'http://auth.internal:8000/api/v1/auth/me?x=1',
      method: 'GET',
      body: undefined,
      headers: {
        accept: 'application/json',
        authorization: 'Bearer tok-123',
        'x-request-id': 'req-abcdef12',
      },
    });
    expect(calls[0]!.headers['content-type']).toBeUndefined();
    expect(calls[0]!.signal).toBeInstanceOf(AbortSignal);
  });

  it('sends a JSON body and never the in-process marker header', async () => {
    const { impl, calls } = scriptedFetch({ status: 201, body: '{"created":true}' });
    const result = await clientsWith(impl).call('user-profile', {
      method: 'POST',
      path: '/api/v1/profiles',
      body: { name: 'Ana', tags: ['a'] },
    });
    expect(result).toEqual({ status: 201, body: { created: true } });
    expect(calls[0]!.url).toBe('http://profile.internal:8001/api/v1/profiles');
    expect(calls[0]!.body).toBe('{"name":"Ana","tags":["a"]}');
    expect(calls[0]!.headers['content-type']).toBe('application/json');
    expect(calls[0]!.headers.authorization).toBeUndefined();
    expect(calls[0]!.headers['x-pha-internal']).toBeUndefined();
  });

  it('passes text bodies through and gives undefined for an empty body', async () => {
    const text = scriptedFetch({ status: 200, body: 'plain words' });
    expect((await clientsWith(text.impl).call('auth', { method: 'GET', path: '/t' })).body).toBe(
      'plain words',
    );
    const empty = scriptedFetch({ status: 204 });
    expect(await clientsWith(empty.impl).call('auth', { method: 'DELETE', path: '/t' })).toEqual({
      status: 204,
      body: undefined,
    });
  });

  it('returns 4xx answers as they are, without retrying or counting them as failures', async () => {
    const { impl, calls } = scriptedFetch({ status: 404, body: '{"error":{"code":"not_found"}}' });
    const clients = clientsWith(impl);
    for (let i = 0; i < 6; i += 1) {
      const result = await clients.call('auth', { method: 'GET', path: '/missing' });
      expect(result).toEqual({ status: 404, body: { error: { code: 'not_found' } } });
    }
    expect(calls).toHaveLength(6);
    expect(clients.breaker('auth').state).toBe('closed');
  });

  it.each([502, 503, 504])('retries a GET answered %i and returns the later success', async (status) => {
    const { impl, calls } = scriptedFetch({ status }, { status }, ok());
    const result = await clientsWith(impl).call('auth', { method: 'GET', path: '/x' });
    expect(result).toEqual({ status: 200, body: { ok: true } });
    expect(calls).toHaveLength(3);
  });

  it.each(['PUT', 'DELETE'] as const)('retries %s (idempotent) too', async (method) => {
    const { impl, calls } = scriptedFetch({ status: 503 }, ok());
    const result = await clientsWith(impl).call('auth', { method, path: '/x', body: { a: 1 } });
    expect(result.status).toBe(200);
    expect(calls).toHaveLength(2);
    expect(calls.map((c) => c.body)).toEqual(['{"a":1}', '{"a":1}']);
  });

  it.each(['POST', 'PATCH'] as const)(
    'never retries %s: the 503 is returned after one attempt',
    async (method) => {
      const { impl, calls } = scriptedFetch(
        { status: 503, body: '{"error":{"code":"service_unavailable"}}' },
        ok(),
      );
      const result = await clientsWith(impl).call('auth', { method, path: '/x', body: {} });
      expect(result).toEqual({ status: 503, body: { error: { code: 'service_unavailable' } } });
      expect(calls).toHaveLength(1);
    },
  );

  it('does not retry other 5xx answers', async () => {
    const { impl, calls } = scriptedFetch({ status: 500 }, ok());
    const result = await clientsWith(impl).call('auth', { method: 'GET', path: '/x' });
    expect(result.status).toBe(500);
    expect(calls).toHaveLength(1);
  });

  it('gives up after three GET attempts and returns the last 503', async () => {
    const { impl, calls } = scriptedFetch(
      { status: 503, body: '{"n":1}' },
      { status: 503, body: '{"n":2}' },
      {
        status: 503,
        body: '{"n":3}',
      },
    );
    const started = Date.now();
    const result = await clientsWith(impl).call('auth', { method: 'GET', path: '/x' });
    expect(result).toEqual({ status: 503, body: { n: 3 } });
    expect(calls).toHaveLength(3);
    // Backs off between attempts (100 ms, then 200 ms).
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
  });

  it('retries a GET after a network error', async () => {
    const { impl, calls } = scriptedFetch(networkError(), ok({ back: true }));
    const result = await clientsWith(impl).call('auth', { method: 'GET', path: '/x' });
    expect(result).toEqual({ status: 200, body: { back: true } });
    expect(calls).toHaveLength(2);
  });

  it('turns a GET that never gets an answer into a 503 AppError after three attempts', async () => {
    const { impl, calls } = scriptedFetch(networkError());
    const err = await rejection(clientsWith(impl).call('auth', { method: 'GET', path: '/x' }));
    expect(err).toMatchObject({
      status: 503,
      code: 'service_unavailable',
      message: 'The auth service did not answer',
      details: { service: 'auth' },
    });
    expect(calls).toHaveLength(3);
  });

  it('does not retry a POST after a network error', async () => {
    const { impl, calls } = scriptedFetch(networkError(), ok());
    const err = await rejection(clientsWith(impl).call('auth', { method: 'POST', path: '/x', body: {} }));
    expect(err.status).toBe(503);
    expect(calls).toHaveLength(1);
  });

  it('times out a slow call with a 503 AppError', async () => {
    const { impl, calls } = scriptedFetch('hang');
    const started = Date.now();
    const err = await rejection(
      clientsWith(impl).call('auth', { method: 'POST', path: '/slow', body: {}, timeoutMs: 50 }),
    );
    expect(err).toMatchObject({ status: 503, code: 'service_unavailable' });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.signal?.aborted).toBe(true);
  });

  it('uses the default timeout when the call gives none, and retries a timed-out GET', async () => {
    const { impl, calls } = scriptedFetch('hang', 'hang', ok({ late: false }));
    const result = await clientsWith(impl, 40).call('auth', { method: 'GET', path: '/slow' });
    expect(result).toEqual({ status: 200, body: { late: false } });
    expect(calls).toHaveLength(3);
    expect(calls[0]!.signal?.aborted).toBe(true);
    expect(calls[1]!.signal?.aborted).toBe(true);
  });

  it('opens the circuit after repeated failures and then fails fast without calling', async () => {
    const { impl, calls } = scriptedFetch({ status: 503 });
    const clients = clientsWith(impl);
    for (let i = 0; i < 5; i += 1) {
      expect((await clients.call('auth', { method: 'POST', path: '/x' })).status).toBe(503);
    }
    expect(calls).toHaveLength(5);
    expect(clients.breaker('auth').state).toBe('open');
    const err = await rejection(clients.call('auth', { method: 'POST', path: '/x' }));
    expect(err).toMatchObject({
      status: 503,
      code: 'service_unavailable',
      message: 'The auth service is unavailable (circuit open); try again shortly',
      details: { service: 'auth' },
    });
    await rejection(clients.call('auth', { method: 'GET', path: '/x' }));
    expect(calls).toHaveLength(5);
  });

  it('keeps one breaker per service', async () => {
    const { impl, calls } = scriptedFetch(networkError());
    const clients = clientsWith(impl);
    for (let i = 0; i < 5; i += 1) await rejection(clients.call('auth', { method: 'POST', path: '/x' }));
    expect(clients.breaker('auth').state).toBe('open');
    expect(clients.breaker('user-profile').state).toBe('closed');
    expect(clients.breaker('auth')).toBe(clients.breaker('auth'));
    await rejection(clients.call('user-profile', { method: 'POST', path: '/x' }));
    expect(calls.at(-1)!.url).toBe('http://profile.internal:8001/x');
  });

  it('stops retrying when the circuit opens in the middle of a GET', async () => {
    const { impl, calls } = scriptedFetch(networkError());
    const clients = clientsWith(impl);
    for (let i = 0; i < 4; i += 1) await rejection(clients.call('auth', { method: 'POST', path: '/x' }));
    const err = await rejection(clients.call('auth', { method: 'GET', path: '/x' }));
    expect(err.message).toContain('circuit open');
    expect(calls).toHaveLength(5);
  });

  it('a success resets the failure count', async () => {
    const { impl } = scriptedFetch({ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }, ok(), {
      status: 503,
    });
    const clients = clientsWith(impl);
    for (let i = 0; i < 6; i += 1) await clients.call('auth', { method: 'POST', path: '/x' });
    expect(clients.breaker('auth').state).toBe('closed');
  });

  it('forwards the caller’s token and request id with onBehalfOf', async () => {
    const { impl, calls } = scriptedFetch(ok());
    const request = {
      id: 'req-behalf-0001',
      principal: { token: 'caller-token' },
    } as unknown as FastifyRequest;
    await clientsWith(impl).onBehalfOf(request)('auth', { method: 'GET', path: '/me' });
    expect(calls[0]!.headers).toMatchObject({
      authorization: 'Bearer caller-token',
      'x-request-id': 'req-behalf-0001',
    });
  });

  it('sends no authorization header for an anonymous caller', async () => {
    const { impl, calls } = scriptedFetch(ok());
    const request = { id: 'req-anon-00001' } as unknown as FastifyRequest;
    await clientsWith(impl).onBehalfOf(request)('auth', { method: 'GET', path: '/public' });
    expect(calls[0]!.headers.authorization).toBeUndefined();
    expect(calls[0]!.headers['x-request-id']).toBe('req-anon-00001');
  });
});

describe('ServiceClients in process', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = Fastify({ logger: false });
    await app.register(
      async (scope) => {
        scope.all('/echo', async (request) => ({
          method: request.method,
          url: request.url,
          headers: request.headers,
          body: request.body ?? null,
        }));
        scope.get('/text', async (_request, reply) => reply.type('text/plain').send('just text'));
        scope.get('/empty', async (_request, reply) => reply.status(204).send());
        scope.get('/teapot', async (_request, reply) => reply.status(418).send({ error: 'teapot' }));
      },
      { prefix: '/auth' },
    );
    await app.ready();
  });
  afterAll(() => app.close());

  function localClients() {
    const { impl, calls } = scriptedFetch(ok({ from: 'network' }));
    const clients = new ServiceClients(
      serviceUrls,
      2000,
      new Map(),
      { name: 'x-pha-internal', value: 'in-proc' },
      impl,
    );
    clients.registerLocal('auth', { app, prefix: '/auth' });
    return { clients, calls };
  }

  it('marks registered services as local', () => {
    const { clients } = localClients();
    expect(clients.isLocal('auth')).toBe(true);
    expect(clients.isLocal('user-profile')).toBe(false);
  });

  it('injects the call into the app under the prefix with headers and JSON body', async () => {
    const { clients, calls } = localClients();
    const result = await clients.call<{
      method: string;
      url: string;
      headers: Record<string, string>;
      body: unknown;
    }>('auth', {
      method: 'POST',
      path: '/echo?q=1',
      body: { hello: 'world' },
      token: 'tok-local',
      requestId: 'req-local-0001',
    });
    expect(result.status).toBe(200);
    expect(result.body.method).toBe('POST');
    expect(result.body.url).toBe('/auth/echo?q=1');
    expect(result.body.body).toEqual({ hello: 'world' });
    expect(result.body.headers).toMatchObject({
      authorization: 'Bearer tok-local',
      'x-request-id': 'req-local-0001',
      'x-pha-internal': 'in-proc',
      'content-type': 'application/json',
      accept: 'application/json',
    });
    expect(calls).toHaveLength(0);
  });

  it('sends no body or content type for a call without a body', async () => {
    const { clients } = localClients();
    const result = await clients.call<{ headers: Record<string, string>; body: unknown }>('auth', {
      method: 'GET',
      path: '/echo',
    });
    expect(result.body.body).toBeNull();
    expect(result.body.headers['content-type']).toBeUndefined();
    expect(result.body.headers.authorization).toBeUndefined();
  });

  it('returns the status and body of any answer, parsed when JSON', async () => {
    const { clients } = localClients();
    expect(await clients.call('auth', { method: 'GET', path: '/teapot' })).toEqual({
      status: 418,
      body: { error: 'teapot' },
    });
    expect(await clients.call('auth', { method: 'GET', path: '/text' })).toEqual({
      status: 200,
      body: 'just text',
    });
    expect(await clients.call('auth', { method: 'GET', path: '/empty' })).toEqual({
      status: 204,
      body: undefined,
    });
    const missing = await clients.call<{ error: string }>('auth', { method: 'GET', path: '/nowhere' });
    expect(missing.status).toBe(404);
  });

  it('is not subject to the HTTP circuit breaker', async () => {
    const { clients, calls } = localClients();
    for (let i = 0; i < 5; i += 1) clients.breaker('auth').failure();
    expect(clients.breaker('auth').state).toBe('open');
    expect((await clients.call('auth', { method: 'GET', path: '/echo' })).status).toBe(200);
    expect(calls).toHaveLength(0);
  });

  it('still goes over HTTP for services not registered locally', async () => {
    const { clients, calls } = localClients();
    expect(await clients.call('user-profile', { method: 'GET', path: '/x' })).toEqual({
      status: 200,
      body: { from: 'network' },
    });
    expect(calls[0]!.url).toBe('http://profile.internal:8001/x');
  });
});

describe('extra headers', () => {
  it('are sent along with the forwarded identity', async () => {
    let seen: Headers | undefined;
    const fetchImpl = (async (_url: string, init: RequestInit) => {
      seen = new Headers(init.headers as Record<string, string>);
      return new Response('{}', { status: 200 });
    }) as unknown as typeof fetch;
    const clients = new ServiceClients(loadConfig({}).serviceUrls, 1000, new Map(), undefined, fetchImpl);
    await clients.call('health-tracking', {
      method: 'POST',
      path: '/api/v1/metrics/batch',
      body: { items: [] },
      token: 'tok',
      headers: { 'idempotency-key': 'import-1-batch-3' },
    });
    expect(seen?.get('idempotency-key')).toBe('import-1-batch-3');
    expect(seen?.get('authorization')).toBe('Bearer tok');
  });
});
