import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { principalOf } from '../../platform/auth/guard.js';
import { AppError, notFound } from '../../platform/http/errors.js';
import { errorResponses } from '../../platform/http/schemas.js';
import { asAppError, FLOW_TTL_MS, type Connections, type Provider } from './connections.js';
import { PROVIDER_SYNCS } from './providers.js';
import * as S from './schemas.js';

/** The cookie that binds an authorisation to the browser that started it. */
export const FLOW_COOKIE = 'pha_oauth_flow';

function cookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}

export function registerConnectionRoutes(
  root: FastifyInstance,
  connections: Connections,
  publicUrl: string,
): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['connections'];
  const secureCookie = publicUrl.startsWith('https://');
  const providers = Object.keys(PROVIDER_SYNCS) as Provider[];

  app.get(
    '/api/v1/connections',
    {
      schema: {
        tags,
        summary: 'Cloud connections: which providers are configured, and mine',
        response: { 200: S.ConnectionList, ...errorResponses(401) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const items = [];
      for (const provider of providers)
        items.push(connections.present(provider, await connections.get(userId, provider)));
      return { items };
    },
  );

  app.get(
    '/api/v1/connections/:provider',
    {
      schema: {
        tags,
        summary: 'One cloud connection',
        params: S.ProviderParams,
        response: { 200: S.ConnectionState, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      return connections.present(
        request.params.provider,
        await connections.get(userId, request.params.provider),
      );
    },
  );

  app.post(
    '/api/v1/connections/:provider/authorize',
    {
      schema: {
        tags,
        summary: 'Start connecting a provider (OAuth 2.0 with PKCE)',
        description:
          'Answers the provider URL to open in the browser, and sets a short-lived cookie that binds the ' +
          'authorisation to this browser. The provider sends the browser back to GET /api/v1/connections/callback. ' +
          'An app that cannot keep cookies completes it with POST /api/v1/connections/callback instead. ' +
          'Without the provider credentials on the server: 503 provider_not_configured.',
        params: S.ProviderParams,
        body: Type.Optional(S.AuthorizeBody),
        response: { 200: S.AuthorizeAnswer, ...errorResponses(400, 401, 503) },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      const { browser, answer } = await connections.authorize(
        userId,
        request.params.provider,
        request.body?.return_to,
      );
      reply.header(
        'set-cookie',
        `${FLOW_COOKIE}=${browser}; Path=/; Max-Age=${FLOW_TTL_MS / 1000}; HttpOnly; SameSite=Lax${secureCookie ? '; Secure' : ''}`,
      );
      return answer;
    },
  );

  const clearCookie = (reply: FastifyReply) =>
    reply.header(
      'set-cookie',
      `${FLOW_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${secureCookie ? '; Secure' : ''}`,
    );

  app.get(
    '/api/v1/connections/callback',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Where the provider sends the browser back (OAuth redirect URI)',
        description:
          'Checks the state (single use, ten minutes, bound to the browser by its cookie), exchanges the code ' +
          'with the PKCE verifier, and stores the tokens sealed. Redirects to return_to when the flow named one.',
        security: [],
        querystring: S.CallbackQuery,
        response: { 200: S.ConnectionState, 303: Type.Null(), ...errorResponses(400, 502) },
      },
    },
    async (request, reply) => {
      const q = request.query;
      clearCookie(reply);
      if (!q.state) throw new AppError(400, 'state_mismatch', 'The provider sent no state: start again');
      let result;
      try {
        result = await connections.complete(q.state, { browser: cookie(request, FLOW_COOKIE) }, q);
      } catch (err) {
        throw asAppError(err);
      }
      const state = connections.present(result.provider, result.row);
      if (result.returnTo) {
        const target = new URL(result.returnTo, publicUrl);
        target.searchParams.set('connection', result.provider);
        target.searchParams.set('status', 'connected');
        return reply
          .status(303)
          .header('location', target.pathname + target.search)
          .send(null);
      }
      return state;
    },
  );

  app.post(
    '/api/v1/connections/callback',
    {
      schema: {
        tags,
        summary: 'Complete an authorisation from an app (the state must be one I started)',
        body: S.CallbackBody,
        response: { 200: S.ConnectionState, ...errorResponses(400, 401, 502) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      try {
        const result = await connections.complete(request.body.state, { userId }, request.body);
        return connections.present(result.provider, result.row);
      } catch (err) {
        throw asAppError(err);
      }
    },
  );

  app.post(
    '/api/v1/connections/:provider/sync',
    {
      schema: {
        tags,
        summary: 'Sync now',
        description:
          'Fetches what is new since the last sync (each data stream resumes from its cursor) and lands it in ' +
          'health tracking. Syncs also run on a schedule.',
        params: S.ProviderParams,
        response: { 200: S.ConnectionState, ...errorResponses(400, 401, 409, 503) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const provider = request.params.provider;
      if (!connections.configured(provider)) {
        throw new AppError(503, 'provider_not_configured', connections.notConfiguredMessage(provider));
      }
      return connections.present(provider, await connections.syncNow(userId, provider));
    },
  );

  app.delete(
    '/api/v1/connections/:provider',
    {
      schema: {
        tags,
        summary: 'Disconnect: the tokens are deleted and syncs stop; imported readings stay',
        params: S.ProviderParams,
        response: { 200: S.ConnectionState, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const row = await connections.disconnect(userId, request.params.provider);
      if (!row) throw notFound(`${PROVIDER_SYNCS[request.params.provider].name} is not connected`);
      return connections.present(request.params.provider, row);
    },
  );
}
