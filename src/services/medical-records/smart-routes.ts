import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from 'typebox';
import { principalOf } from '../../platform/auth/guard.js';
import { AppError, notFound, validationError } from '../../platform/http/errors.js';
import { errorResponses, StringEnum } from '../../platform/http/schemas.js';
import type { ServiceContext } from '../../platform/service.js';
import { SMART_RESOURCE_TYPES } from './smart-client.js';
import { SmartStore } from './smart-store.js';
import { asAppError, EpicConnections, FLOW_TTL_MS } from './smart.js';
import type { MedicalStore } from './store.js';

/** The cookie that binds an Epic authorisation to the browser that started it. */
export const EPIC_FLOW_COOKIE = 'pha_epic_flow';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const SyncErrorSchema = Type.Object({
  status: Nullable(Type.Integer({ description: 'HTTP status the EHR answered, when it answered' })),
  code: Type.String({
    description: 'e.g. forbidden (OperationOutcome issue code), reauthorization_required',
  }),
  message: Type.String(),
});

const TypeResultSchema = Type.Object({
  resource_type: StringEnum(SMART_RESOURCE_TYPES),
  imported: Type.Integer(),
  updated: Type.Integer(),
  unchanged: Type.Integer(),
  skipped: Type.Integer(),
  pages: Type.Integer({ description: 'Bundle pages (or reads) imported in this sync' }),
  complete: Type.Boolean({ description: 'Every search of this type reached its last page' }),
  error: Nullable(SyncErrorSchema),
  notes: Type.Array(Type.String(), { description: 'Warnings the EHR sent with its results' }),
});

export const EpicConnectionState = Type.Object({
  provider: Type.Literal('epic'),
  name: Type.String(),
  configured: Type.Boolean(),
  message: Nullable(Type.String({ description: 'What the operator must set when Epic is not configured' })),
  fhir_base_url: Type.String(),
  status: StringEnum(['not_connected', 'active', 'needs_reauthorization', 'disconnected'] as const),
  connected: Type.Boolean(),
  patient_id: Nullable(Type.String({ description: 'The FHIR id of the launch patient at the EHR' })),
  scope: Nullable(Type.String({ description: 'The scopes the EHR granted' })),
  connected_at: Nullable(Type.String()),
  sync_in_progress: Type.Boolean(),
  last_sync: Nullable(
    Type.Object({
      started_at: Type.String(),
      finished_at: Nullable(Type.String()),
      status: Nullable(StringEnum(['ok', 'partial', 'failed'] as const)),
      message: Nullable(Type.String()),
      types: Type.Array(TypeResultSchema),
    }),
  ),
});

const AuthorizeBody = Type.Object(
  {
    return_to: Type.Optional(
      Type.String({
        pattern: '^/(?!/)',
        maxLength: 500,
        description: 'A path of this site to send the browser to after the callback (e.g. /app/records)',
      }),
    ),
  },
  { additionalProperties: false },
);

const AuthorizeAnswer = Type.Object({
  provider: Type.Literal('epic'),
  authorization_url: Type.String({ description: 'Open this in the browser: Epic sign-in and consent' }),
  redirect_uri: Type.String(),
  scopes: Type.Array(Type.String()),
  expires_at: Type.String(),
});

const CallbackQuery = Type.Object({
  code: Type.Optional(Type.String({ maxLength: 4096 })),
  state: Type.Optional(Type.String({ maxLength: 200 })),
  error: Type.Optional(Type.String({ maxLength: 200 })),
  error_description: Type.Optional(Type.String({ maxLength: 1000 })),
});

const CallbackBody = Type.Object({
  state: Type.String({ minLength: 1, maxLength: 200 }),
  code: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
  error: Type.Optional(Type.String({ maxLength: 200 })),
});

/**
 * Whether a return_to stays on this site once resolved: "/.//evil.example" or "/a/..//evil.example" pass
 * the pattern but resolve to the path "//evil.example", which a browser reads as another host.
 */
function staysOnSite(returnTo: string, publicUrl: string): boolean {
  const target = new URL(returnTo, publicUrl);
  return target.origin === new URL(publicUrl).origin && !target.pathname.startsWith('//');
}

function cookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}

export interface EpicAccountData {
  export(userId: string): Promise<unknown>;
  erase(userId: string): Promise<void>;
}

/**
 * The Epic (SMART on FHIR) connection routes. The scheduler starts with the app and stops with it;
 * the returned handlers put the connection in the account export (never its tokens) and erase.
 */
export function registerEpicConnectionRoutes(
  root: FastifyInstance,
  ctx: ServiceContext,
  records: MedicalStore,
): EpicAccountData {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const epic = new EpicConnections(
    new SmartStore(ctx.db),
    records,
    ctx.config.epic,
    ctx.secrets.secretKey,
    ctx.config.publicUrl,
    ctx.logger.child({ service: 'medical-records' }),
  );
  const tags = ['connections'];
  const secure = ctx.config.publicUrl.startsWith('https://') ? '; Secure' : '';
  const setFlowCookie = (reply: FastifyReply, value: string, maxAgeSeconds: number) =>
    reply.header(
      'set-cookie',
      `${EPIC_FLOW_COOKIE}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure}`,
    );

  app.get(
    '/api/v1/connections/epic',
    {
      schema: {
        tags,
        summary: 'My Epic connection: configured or not, connected or not, patient, last sync per type',
        response: { 200: EpicConnectionState, ...errorResponses(401) },
      },
    },
    async (request) => epic.present(await epic.get(principalOf(request).userId)),
  );

  app.post(
    '/api/v1/connections/epic/authorize',
    {
      schema: {
        tags,
        summary: 'Start connecting Epic (SMART standalone patient launch, OAuth 2.0 with PKCE S256)',
        description:
          "Reads the EHR's /.well-known/smart-configuration, then answers the authorisation URL to open in the " +
          'browser and sets a short-lived HttpOnly cookie binding the flow to this browser. Epic sends the browser ' +
          'back to GET /api/v1/connections/epic/callback; an app without cookies completes with POST ' +
          '/api/v1/connections/epic/callback and its own token. Without EPIC_FHIR_CLIENT_ID: 409 epic_not_configured.',
        body: AuthorizeBody,
        response: { 200: AuthorizeAnswer, ...errorResponses(400, 401, 409, 502) },
      },
      // The body is optional: a POST without one is the same as {}.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request, reply) => {
      const returnTo = request.body.return_to;
      if (returnTo !== undefined && !staysOnSite(returnTo, ctx.config.publicUrl)) {
        throw validationError('Invalid body: return_to must be a path of this site', [
          { field: 'return_to', problem: 'must be a path of this site, not one that leads to another host' },
        ]);
      }
      const { browser, answer } = await epic.authorize(principalOf(request).userId, returnTo);
      setFlowCookie(reply, browser, FLOW_TTL_MS / 1000);
      return answer;
    },
  );

  app.get(
    '/api/v1/connections/epic/callback',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Where Epic sends the browser back (the redirect URI to register)',
        description:
          'The browser brings no bearer token here: the user is the one who started the flow, proven by the ' +
          'cookie set by authorize. The state is single-use and expires after ten minutes. The code is exchanged ' +
          'with the PKCE verifier; the tokens are stored sealed. Redirects (303) to return_to when the flow named one.',
        security: [],
        querystring: CallbackQuery,
        response: { 200: EpicConnectionState, 303: Type.Null(), ...errorResponses(400, 409, 502) },
      },
    },
    async (request, reply) => {
      const q = request.query;
      setFlowCookie(reply, '', 0);
      if (!q.state) throw new AppError(400, 'state_mismatch', 'Epic sent no state: start again');
      const browser = cookie(request, EPIC_FLOW_COOKIE);
      const result = await epic
        .complete(q.state, browser ? { browser } : {}, q)
        .catch((err: unknown) => Promise.reject(asAppError(err)));
      if (result.returnTo) {
        const target = new URL(result.returnTo, ctx.config.publicUrl);
        target.searchParams.set('connection', 'epic');
        target.searchParams.set('status', 'connected');
        return reply
          .status(303)
          .header('location', target.pathname + target.search)
          .send(null);
      }
      return epic.present(result.row);
    },
  );

  app.post(
    '/api/v1/connections/epic/callback',
    {
      schema: {
        tags,
        summary: 'Complete an Epic authorisation from an app (the state must be one I started)',
        body: CallbackBody,
        response: { 200: EpicConnectionState, ...errorResponses(400, 401, 409, 502) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const result = await epic
        .complete(request.body.state, { userId }, request.body)
        .catch((err: unknown) => Promise.reject(asAppError(err)));
      return epic.present(result.row);
    },
  );

  app.post(
    '/api/v1/connections/epic/sync',
    {
      schema: {
        tags,
        summary: 'Sync my Epic records now',
        description:
          'Reads the launch Patient, Observations (laboratory, vital signs, social history), Conditions, ' +
          'MedicationRequests, AllergyIntolerances, Immunizations and DiagnosticReports, following the ' +
          "searchsets' next links, and imports them like POST /api/v1/fhir/import (re-syncing changes nothing). " +
          'Each type reports its counts and its own error: one refused type does not stop the others. An ' +
          'interrupted sync continues from the page it stopped at. Syncs also run every ' +
          'EPIC_FHIR_SYNC_INTERVAL_MINUTES.',
        response: { 200: EpicConnectionState, ...errorResponses(401, 409) },
      },
    },
    async (request) => epic.present(await epic.syncNow(principalOf(request).userId)),
  );

  app.delete(
    '/api/v1/connections/epic',
    {
      schema: {
        tags,
        summary: 'Disconnect Epic: the tokens are deleted and syncs stop; imported records stay',
        response: { 200: EpicConnectionState, ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      const row = await epic.disconnect(principalOf(request).userId);
      if (!row) throw notFound('Epic is not connected');
      return epic.present(row);
    },
  );

  root.addHook('onReady', async () => epic.startScheduler());
  root.addHook('onClose', async () => epic.stop());

  return {
    export: (userId) => epic.exportFor(userId),
    erase: (userId) => epic.erase(userId),
  };
}
