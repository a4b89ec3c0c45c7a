import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { principalOf } from '../../platform/auth/guard.js';
import { errorResponses } from '../../platform/http/schemas.js';
import { publicUser, type Accounts } from './accounts.js';
import * as S from './schemas.js';

const publicRoute = { public: true } as const;

export function registerAuthRoutes(root: FastifyInstance, accounts: Accounts): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['auth'];
  const client = (request: { ip: string; headers: { 'user-agent'?: string } }) => ({
    ip: request.ip,
    userAgent: request.headers['user-agent'],
  });

  app.post(
    '/api/v1/auth/register',
    {
      config: publicRoute,
      schema: {
        tags,
        summary: 'Create an account',
        security: [],
        body: S.RegisterBody,
        response: { 201: S.User, ...errorResponses(400, 409, 429) },
      },
    },
    async (request, reply) => reply.status(201).send(await accounts.register(request.body)),
  );

  app.post(
    '/api/v1/auth/login',
    {
      config: publicRoute,
      schema: {
        tags,
        summary: 'Sign in with email and password',
        description: 'When two-factor sign-in is on, answers with an MFA challenge instead of tokens.',
        security: [],
        body: S.LoginBody,
        response: { 200: Type.Union([S.TokenResponse, S.MfaChallenge]), ...errorResponses(400, 401, 429) },
      },
    },
    async (request) => accounts.login(request.body, client(request)),
  );

  app.post(
    '/api/v1/auth/login/mfa',
    {
      config: publicRoute,
      schema: {
        tags,
        summary: 'Second sign-in step: TOTP or backup code',
        security: [],
        body: S.MfaLoginBody,
        response: { 200: S.TokenResponse, ...errorResponses(400, 401, 429) },
      },
    },
    async (request) => accounts.loginSecondStep(request.body, client(request)),
  );

  app.post(
    '/api/v1/auth/refresh',
    {
      config: publicRoute,
      schema: {
        tags,
        summary: 'Exchange a refresh token for new tokens (rotation)',
        security: [],
        body: S.RefreshBody,
        response: { 200: S.TokenResponse, ...errorResponses(400, 401) },
      },
    },
    async (request) => accounts.refresh(request.body.refresh_token),
  );

  app.post(
    '/api/v1/auth/logout',
    {
      schema: {
        tags,
        summary: 'End this session everywhere',
        response: { 204: Type.Null(), ...errorResponses(401) },
      },
    },
    async (request, reply) => {
      await accounts.logout(principalOf(request));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/auth/me',
    { schema: { tags, summary: 'The signed-in user', response: { 200: S.User, ...errorResponses(401) } } },
    async (request) => publicUser(await accounts.requireUser(principalOf(request).userId)),
  );

  app.delete(
    '/api/v1/auth/me',
    {
      schema: {
        tags,
        summary: 'Delete my account and all my data in every service',
        body: S.PasswordAndCodeBody,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 502) },
      },
    },
    async (request, reply) => {
      await accounts.deleteAccount(
        principalOf(request),
        request.body.password,
        request.body.code,
        request.id,
      );
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/auth/change-password',
    {
      schema: {
        tags,
        summary: 'Change my password; other sessions are signed out',
        body: S.ChangePasswordBody,
        response: { 204: Type.Null(), ...errorResponses(400, 401) },
      },
    },
    async (request, reply) => {
      await accounts.changePassword(
        principalOf(request),
        request.body.current_password,
        request.body.new_password,
      );
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/auth/password-reset/request',
    {
      config: publicRoute,
      schema: {
        tags,
        summary: 'Mail a single-use reset link (same answer whether or not the account exists)',
        security: [],
        body: S.ResetRequestBody,
        response: { 202: S.Message, ...errorResponses(400, 429) },
      },
    },
    async (request, reply) => {
      await accounts.requestPasswordReset(request.body.email);
      return reply
        .status(202)
        .send({ message: 'If an account exists for this address, a reset link is on its way' });
    },
  );

  app.post(
    '/api/v1/auth/password-reset/confirm',
    {
      config: publicRoute,
      schema: {
        tags,
        summary: 'Set a new password with a reset token; every session is signed out',
        security: [],
        body: S.ResetConfirmBody,
        response: { 204: Type.Null(), ...errorResponses(400) },
      },
    },
    async (request, reply) => {
      await accounts.confirmPasswordReset(request.body.token, request.body.new_password);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/auth/email/verify/request',
    {
      schema: {
        tags,
        summary: 'Mail a new verification link',
        response: { 202: S.Message, ...errorResponses(401, 429) },
      },
    },
    async (request, reply) => {
      const user = await accounts.requireUser(principalOf(request).userId);
      if (user.email_verified_at)
        return reply.status(202).send({ message: 'This address is already verified' });
      await accounts.sendVerification(user);
      return reply.status(202).send({ message: 'A verification link is on its way' });
    },
  );

  app.post(
    '/api/v1/auth/email/verify/confirm',
    {
      config: publicRoute,
      schema: {
        tags,
        summary: 'Confirm an email address with its token',
        security: [],
        body: S.VerifyConfirmBody,
        response: { 200: S.User, ...errorResponses(400) },
      },
    },
    async (request) => publicUser(await accounts.confirmEmail(request.body.token)),
  );

  app.post(
    '/api/v1/auth/mfa/enroll',
    {
      schema: {
        tags,
        summary: 'Start two-factor sign-in: a secret and an otpauth:// URI for an authenticator app',
        response: {
          200: Type.Object({ secret: Type.String(), otpauth_uri: Type.String() }),
          ...errorResponses(401, 409),
        },
      },
    },
    async (request) => accounts.enrollMfa(principalOf(request)),
  );

  app.post(
    '/api/v1/auth/mfa/confirm',
    {
      schema: {
        tags,
        summary: 'Turn two-factor sign-in on with a first code; returns backup codes, shown only once',
        body: S.CodeBody,
        response: {
          200: Type.Object({ backup_codes: Type.Array(Type.String()) }),
          ...errorResponses(400, 401, 409),
        },
      },
    },
    async (request) => ({ backup_codes: await accounts.confirmMfa(principalOf(request), request.body.code) }),
  );

  app.post(
    '/api/v1/auth/mfa/backup-codes',
    {
      schema: {
        tags,
        summary: 'Replace the backup codes (the old ones stop working)',
        body: S.CodeBody,
        response: {
          200: Type.Object({ backup_codes: Type.Array(Type.String()) }),
          ...errorResponses(400, 401, 409),
        },
      },
    },
    async (request) => ({
      backup_codes: await accounts.regenerateBackupCodes(principalOf(request), request.body.code),
    }),
  );

  app.post(
    '/api/v1/auth/mfa/disable',
    {
      schema: {
        tags,
        summary: 'Turn two-factor sign-in off (password and a code required)',
        body: S.PasswordAndCodeBody,
        response: { 204: Type.Null(), ...errorResponses(400, 401) },
      },
    },
    async (request, reply) => {
      await accounts.disableMfa(principalOf(request), request.body.password, request.body.code);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/auth/sessions',
    {
      schema: {
        tags,
        summary: 'My active sessions',
        response: { 200: Type.Object({ items: Type.Array(S.Session) }), ...errorResponses(401) },
      },
    },
    async (request) => ({
      items: (await accounts.listSessions(principalOf(request))).map((s) => ({
        id: s.id,
        user_agent: s.user_agent,
        created_at: s.created_at.toISOString(),
        last_used_at: s.last_used_at.toISOString(),
        expires_at: s.expires_at.toISOString(),
        current: s.current,
      })),
    }),
  );

  app.delete(
    '/api/v1/auth/sessions/:id',
    {
      schema: {
        tags,
        summary: 'Sign one of my sessions out',
        params: S.IdParams,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      await accounts.revokeSession(principalOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.put(
    '/api/v1/auth/users/:id/role',
    {
      config: { roles: ['admin'] },
      schema: {
        tags,
        summary: 'Assign a role (admins only)',
        params: S.IdParams,
        body: S.RoleBody,
        response: { 200: S.User, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      publicUser(await accounts.setRole(principalOf(request), request.params.id, request.body.role)),
  );
}
