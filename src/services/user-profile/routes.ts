import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { builtBackendServices } from '../../catalog.js';
import { principalOf } from '../../platform/auth/guard.js';
import { AppError, badGateway, serviceUnavailable } from '../../platform/http/errors.js';
import { errorResponses } from '../../platform/http/schemas.js';
import type { ServiceContext } from '../../platform/service.js';
import { presentProfile, type Profiles } from './profiles.js';
import { DeleteAccountBody, Profile, ProfileUpdateBody } from './schemas.js';

interface AuthUser {
  id: string;
  email: string;
  full_name: string;
}

export function registerProfileRoutes(root: FastifyInstance, ctx: ServiceContext, profiles: Profiles): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['profile'];

  /** The profile exists from the first sign-in on; name and email come from the account. */
  async function profileOf(request: FastifyRequest) {
    const principal = principalOf(request);
    const existing = await profiles.find(principal.userId);
    if (existing) return existing;
    if (principal.source === 'supabase') {
      // Supabase Auth owns these accounts: name and email come from its token.
      return profiles.create(
        principal.userId,
        principal.email ?? '',
        principal.name ?? principal.email ?? '',
      );
    }
    const me = await ctx.clients.onBehalfOf(request)<AuthUser>('auth', {
      method: 'GET',
      path: '/api/v1/auth/me',
    });
    if (me.status === 401) throw new AppError(401, 'unauthorized', 'This account no longer exists');
    if (me.status !== 200) throw serviceUnavailable('Could not read the account from the auth service');
    return profiles.create(principal.userId, me.body.email, me.body.full_name);
  }

  app.get(
    '/api/v1/profile',
    { schema: { tags, summary: 'My profile', response: { 200: Profile, ...errorResponses(401, 503) } } },
    async (request) => presentProfile(await profileOf(request)),
  );

  app.put(
    '/api/v1/profile',
    {
      schema: {
        tags,
        summary: 'Update my profile',
        description:
          'Only the fields sent change; send null to clear one. Height and weight carry their unit.',
        body: ProfileUpdateBody,
        response: { 200: Profile, ...errorResponses(400, 401, 503) },
      },
    },
    async (request) => {
      const current = await profileOf(request);
      return presentProfile(await profiles.update(principalOf(request).userId, current, request.body));
    },
  );

  app.get(
    '/api/v1/profile/export',
    {
      schema: {
        tags,
        summary: 'Everything the platform holds about me, as one JSON document',
        response: { 200: Type.Unknown(), ...errorResponses(401, 502, 503) },
      },
    },
    async (request, reply) => {
      const call = ctx.clients.onBehalfOf(request);
      const me = await call('auth', { method: 'GET', path: '/api/v1/auth/me' });
      const sessions = await call('auth', { method: 'GET', path: '/api/v1/auth/sessions' });
      if (me.status !== 200) throw badGateway('Could not read the account from the auth service');
      const services: Record<string, unknown> = {
        'user-profile': presentProfile(await profileOf(request)),
      };
      for (const service of builtBackendServices()) {
        if (service.slug === 'auth' || service.slug === 'user-profile') continue;
        const result = await call(service.slug, { method: 'GET', path: '/api/v1/account/export' });
        if (result.status !== 200) {
          throw badGateway(`The ${service.slug} service could not export your data; try again`, {
            service: service.slug,
            status: result.status,
          });
        }
        services[service.slug] = (result.body as { data: unknown }).data;
      }
      reply.header('content-disposition', 'attachment; filename="personal-health-export.json"');
      return {
        format: 'personal-health-assistant-export',
        format_version: 1,
        exported_at: new Date().toISOString(),
        account: me.body,
        sessions: sessions.status === 200 ? (sessions.body as { items: unknown }).items : [],
        services,
      };
    },
  );

  app.delete(
    '/api/v1/profile',
    {
      schema: {
        tags,
        summary: 'Delete my account and everything the platform holds about me',
        description:
          'Asks for the password (and a two-factor code when it is on). Passes to DELETE /auth/api/v1/auth/me.',
        body: DeleteAccountBody,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 502) },
      },
    },
    async (request, reply) => {
      const result = await ctx.clients.onBehalfOf(request)<{
        error?: { code: string; message: string; details?: unknown };
      }>('auth', { method: 'DELETE', path: '/api/v1/auth/me', body: request.body });
      if (result.status === 204) return reply.status(204).send(null);
      const error = result.body?.error;
      throw new AppError(
        result.status,
        error?.code ?? 'account_deletion_failed',
        error?.message ?? 'Deletion failed',
        error?.details,
      );
    },
  );
}
