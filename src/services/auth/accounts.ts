import { v7 as uuidv7 } from 'uuid';
import { builtBackendServices } from '../../catalog.js';
import type { ServiceContext } from '../../platform/service.js';
import { FieldCipher, randomToken, sha256 } from '../../platform/crypto.js';
import { PG_UNIQUE_VIOLATION, pgErrorCode, type Queryable } from '../../platform/db/db.js';
import {
  AppError,
  badRequest,
  conflict,
  notFound,
  unauthorized,
  tooManyRequests,
} from '../../platform/http/errors.js';
import { TokenIssuer } from '../../platform/auth/tokens.js';
import type { Principal, Role } from '../../platform/auth/principal.js';
import { checkPassword } from './password-policy.js';
import { burnPasswordCheck, hashPassword, verifyPassword } from './passwords.js';
import { AuthStore, type SessionRow, type UserRow } from './store.js';
import { LoginThrottle } from './throttle.js';
import { hashBackupCode, newBackupCodes, newTotpSecret, otpauthUri, verifyTotp } from './totp.js';

export const RESET_TOKEN_TTL_SECONDS = 30 * 60;
export const VERIFY_TOKEN_TTL_SECONDS = 24 * 60 * 60;
export const MFA_CHALLENGE_TTL_SECONDS = 300;
const MAILS_PER_HOUR = 5;

export interface PublicUser {
  id: string;
  email: string;
  full_name: string;
  role: Role;
  email_verified: boolean;
  mfa_enabled: boolean;
  created_at: string;
}

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'bearer';
  expires_in: number;
  user: PublicUser;
}

export interface MfaChallenge {
  mfa_required: true;
  mfa_token: string;
  token_type: 'mfa';
  expires_in: number;
}

export function publicUser(user: UserRow): PublicUser {
  return {
    id: user.id,
    email: user.email,
    full_name: user.full_name,
    role: user.role,
    email_verified: user.email_verified_at !== null,
    mfa_enabled: user.mfa_enabled_at !== null,
    created_at: user.created_at.toISOString(),
  };
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

function weakPassword(problem: { rule: string; message: string }): AppError {
  return new AppError(400, 'weak_password', problem.message, { field: 'password', rule: problem.rule });
}

/** Account, session and second-factor logic of the auth service, over its store. */
export class Accounts {
  readonly store: AuthStore;
  readonly issuer: TokenIssuer;
  private readonly throttle: LoginThrottle;
  private readonly mfaCipher: FieldCipher;

  constructor(private readonly ctx: ServiceContext) {
    this.store = new AuthStore(ctx.db);
    this.issuer = new TokenIssuer(ctx.secrets.jwtSecret, ctx.config.accessTokenTtlSeconds);
    this.throttle = new LoginThrottle(ctx.cache);
    this.mfaCipher = new FieldCipher(ctx.secrets.secretKey, 'auth.mfa-secret');
  }

  async register(input: { email: string; password: string; full_name: string }): Promise<PublicUser> {
    const email = normaliseEmail(input.email);
    const fullName = input.full_name.trim();
    if (fullName === '') throw badRequest('full_name must not be blank', { field: 'full_name' });
    const problem = checkPassword(input.password, email);
    if (problem) throw weakPassword(problem);
    const passwordHash = await hashPassword(input.password);
    let user: UserRow;
    try {
      user = await this.store.transaction((tx) =>
        this.store.insertUser(tx, { id: uuidv7(), email, fullName, passwordHash, role: 'patient' }),
      );
    } catch (err) {
      if (pgErrorCode(err) === PG_UNIQUE_VIOLATION) {
        throw conflict('An account with this email already exists', 'email_taken');
      }
      throw err;
    }
    await this.sendVerification(user).catch((err: unknown) =>
      this.ctx.logger.warn({ err, userId: user.id }, 'could not send the verification email'),
    );
    return publicUser(user);
  }

  async login(
    input: { email: string; password: string },
    client: { ip: string; userAgent?: string },
  ): Promise<TokenPair | MfaChallenge> {
    const email = normaliseEmail(input.email);
    await this.throttle.check(email, client.ip);
    const user = await this.store.userByEmail(email);
    if (!user) {
      await burnPasswordCheck(input.password);
      await this.throttle.recordFailure(email, client.ip);
      throw unauthorized('Email or password is incorrect', 'invalid_credentials');
    }
    if (!(await verifyPassword(user.password_hash, input.password))) {
      await this.throttle.recordFailure(email, client.ip);
      throw unauthorized('Email or password is incorrect', 'invalid_credentials');
    }
    await this.throttle.recordSuccess(email, client.ip);
    if (user.mfa_enabled_at) {
      return {
        mfa_required: true,
        mfa_token: await this.issuer.signMfaChallenge(user.id, MFA_CHALLENGE_TTL_SECONDS),
        token_type: 'mfa',
        expires_in: MFA_CHALLENGE_TTL_SECONDS,
      };
    }
    return this.startSession(user, client.userAgent);
  }

  async loginSecondStep(
    input: { mfa_token: string; code: string },
    client: { ip: string; userAgent?: string },
  ) {
    const userId = await this.issuer.verifyMfaChallenge(input.mfa_token);
    const user = await this.store.userById(userId);
    if (!user || !user.mfa_enabled_at) throw unauthorized('The MFA token is not valid', 'invalid_token');
    await this.throttle.check(user.email, client.ip);
    if (!(await this.checkSecondFactor(user, input.code))) {
      await this.throttle.recordFailure(user.email, client.ip);
      throw unauthorized('The code is not valid', 'invalid_mfa_code');
    }
    await this.throttle.recordSuccess(user.email, client.ip);
    return this.startSession(user, client.userAgent);
  }

  private async startSession(user: UserRow, userAgent: string | undefined): Promise<TokenPair> {
    const sessionId = uuidv7();
    const refreshToken = randomToken();
    const expiresAt = new Date(Date.now() + this.ctx.config.refreshTokenTtlDays * 86_400_000);
    await this.store.transaction(async (tx) => {
      await this.store.insertSession(tx, { id: sessionId, userId: user.id, userAgent, expiresAt });
      await this.store.insertRefreshToken(tx, sha256(refreshToken), sessionId, expiresAt);
    });
    return this.tokenPair(user, sessionId, refreshToken);
  }

  private async tokenPair(user: UserRow, sessionId: string, refreshToken: string): Promise<TokenPair> {
    const accessToken = await this.issuer.signAccess({
      userId: user.id,
      sessionId,
      role: user.role,
      email: user.email,
    });
    return {
      access_token: accessToken,
      refresh_token: refreshToken,
      token_type: 'bearer',
      expires_in: this.issuer.accessTtlSeconds,
      user: publicUser(user),
    };
  }

  /**
   * Rotation: each refresh token works once and is replaced. Presenting one that was already used
   * means it was copied, so the whole session (token family) is revoked (OAuth 2.0 Security BCP §4.14).
   */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const outcome = await this.store.transaction(async (tx) => {
      const token = await this.store.useRefreshToken(tx, sha256(refreshToken));
      if (!token) return { kind: 'unknown' as const };
      const session = await this.store.sessionById(token.session_id, tx);
      if (!session || session.revoked_at) return { kind: 'revoked' as const };
      if (!token.firstUse) {
        const ids = await this.store.revokeSessions(
          tx,
          { userId: session.user_id, sessionId: session.id },
          'refresh_token_reuse',
        );
        return { kind: 'reused' as const, ids };
      }
      if (token.expires_at.getTime() <= Date.now() || session.expires_at.getTime() <= Date.now()) {
        return { kind: 'expired' as const };
      }
      const user = await this.store.userById(session.user_id, tx);
      if (!user) return { kind: 'revoked' as const };
      const next = randomToken();
      await this.store.insertRefreshToken(tx, sha256(next), session.id, session.expires_at);
      return { kind: 'ok' as const, user, sessionId: session.id, next };
    });
    switch (outcome.kind) {
      case 'ok':
        return this.tokenPair(outcome.user, outcome.sessionId, outcome.next);
      case 'reused':
        await this.announceRevoked(outcome.ids);
        throw unauthorized(
          'This refresh token was already used; the session has been ended for safety',
          'refresh_token_reused',
        );
      case 'expired':
        throw unauthorized('The refresh token has expired; sign in again', 'refresh_token_expired');
      default:
        throw unauthorized('The refresh token is not valid', 'invalid_refresh_token');
    }
  }

  /** Tells every service (through the shared revocation list) that these sessions are over. */
  async announceRevoked(sessionIds: string[]): Promise<void> {
    await Promise.all(
      sessionIds.map((id) => this.ctx.revocations.revoke(id, this.ctx.config.accessTokenTtlSeconds + 60)),
    );
  }

  async logout(principal: Principal): Promise<void> {
    if (!principal.sessionId) return;
    const ids = await this.store.transaction((tx) =>
      this.store.revokeSessions(tx, { userId: principal.userId, sessionId: principal.sessionId }, 'logout'),
    );
    await this.announceRevoked(ids.length > 0 ? ids : [principal.sessionId]);
  }

  async revokeSession(principal: Principal, sessionId: string): Promise<void> {
    const ids = await this.store.transaction((tx) =>
      this.store.revokeSessions(tx, { userId: principal.userId, sessionId }, 'revoked_by_user'),
    );
    if (ids.length === 0) throw notFound('No such active session');
    await this.announceRevoked(ids);
  }

  async listSessions(principal: Principal): Promise<(SessionRow & { current: boolean })[]> {
    const sessions = await this.store.sessionsOfUser(principal.userId);
    return sessions.map((s) => ({ ...s, current: s.id === principal.sessionId }));
  }

  async requireUser(userId: string): Promise<UserRow> {
    const user = await this.store.userById(userId);
    if (!user) throw unauthorized('This account no longer exists', 'account_not_found');
    return user;
  }

  async changePassword(principal: Principal, currentPassword: string, newPassword: string): Promise<void> {
    const user = await this.requireUser(principal.userId);
    if (!(await verifyPassword(user.password_hash, currentPassword))) {
      throw new AppError(400, 'invalid_current_password', 'The current password is incorrect', {
        field: 'current_password',
      });
    }
    const problem = checkPassword(newPassword, user.email);
    if (problem) throw weakPassword({ ...problem });
    const passwordHash = await hashPassword(newPassword);
    const ids = await this.store.transaction(async (tx) => {
      await this.store.setPassword(tx, user.id, passwordHash);
      return this.store.revokeSessions(
        tx,
        { userId: user.id, exceptSessionId: principal.sessionId },
        'password_changed',
      );
    });
    await this.announceRevoked(ids);
  }

  /** Mails a reset link if the account exists; answers the same either way so emails cannot be probed. */
  async requestPasswordReset(emailInput: string): Promise<void> {
    const email = normaliseEmail(emailInput);
    const user = await this.store.userByEmail(email);
    if (!user || !(await this.withinMailQuota(user.id))) return;
    const token = randomToken();
    await this.store.transaction((tx) =>
      this.store.insertOneTimeToken(tx, {
        hash: sha256(token),
        userId: user.id,
        purpose: 'password_reset',
        expiresAt: new Date(Date.now() + RESET_TOKEN_TTL_SECONDS * 1000),
      }),
    );
    await this.ctx.mailer.send({
      to: user.email,
      subject: 'Reset your Personal Health Assistant password',
      text:
        `Someone asked to reset the password of this account. If it was you, open this link within 30 minutes:\n\n` +
        `${this.ctx.config.publicUrl}/reset-password?token=${token}\n\n` +
        `Or send this token to POST /auth/api/v1/auth/password-reset/confirm: ${token}\n\n` +
        `If it was not you, ignore this message; your password stays as it is.`,
    });
  }

  async confirmPasswordReset(token: string, newPassword: string): Promise<void> {
    const generic = checkPassword(newPassword);
    if (generic) throw weakPassword(generic);
    const passwordHash = await hashPassword(newPassword);
    const ids = await this.store.transaction(async (tx) => {
      const userId = await this.store.consumeOneTimeToken(tx, sha256(token), 'password_reset');
      if (!userId) return undefined;
      const user = await this.store.userById(userId, tx);
      const problem = user ? checkPassword(newPassword, user.email) : undefined;
      if (problem) throw weakPassword(problem);
      await this.store.setPassword(tx, userId, passwordHash);
      // Proof of the mailbox also proves the address.
      await this.store.markEmailVerified(tx, userId);
      return this.store.revokeSessions(tx, { userId }, 'password_reset');
    });
    if (!ids)
      throw badRequest('The reset link is invalid, used or expired; ask for a new one', { field: 'token' });
    await this.announceRevoked(ids);
  }

  async sendVerification(user: UserRow): Promise<void> {
    if (user.email_verified_at) return;
    if (!(await this.withinMailQuota(user.id))) {
      throw tooManyRequests('Too many emails sent to this account; try again later', 3600);
    }
    const token = randomToken();
    await this.store.transaction((tx) =>
      this.store.insertOneTimeToken(tx, {
        hash: sha256(token),
        userId: user.id,
        purpose: 'email_verification',
        expiresAt: new Date(Date.now() + VERIFY_TOKEN_TTL_SECONDS * 1000),
      }),
    );
    await this.ctx.mailer.send({
      to: user.email,
      subject: 'Confirm your email for Personal Health Assistant',
      text:
        `Confirm this address by opening this link within 24 hours:\n\n` +
        `${this.ctx.config.publicUrl}/verify-email?token=${token}\n\n` +
        `Or send this token to POST /auth/api/v1/auth/email/verify/confirm: ${token}\n`,
    });
  }

  async confirmEmail(token: string): Promise<UserRow> {
    const user = await this.store.transaction(async (tx) => {
      const userId = await this.store.consumeOneTimeToken(tx, sha256(token), 'email_verification');
      if (!userId) return undefined;
      await this.store.markEmailVerified(tx, userId);
      return this.store.userById(userId, tx);
    });
    if (!user)
      throw badRequest('The verification link is invalid, used or expired; ask for a new one', {
        field: 'token',
      });
    return user;
  }

  private async withinMailQuota(userId: string): Promise<boolean> {
    return (await this.ctx.cache.increment(`auth:mail:${userId}`, 3600)) <= MAILS_PER_HOUR;
  }

  async enrollMfa(principal: Principal): Promise<{ secret: string; otpauth_uri: string }> {
    const user = await this.requireUser(principal.userId);
    if (user.mfa_enabled_at)
      throw conflict('Two-factor sign-in is already on; disable it first', 'mfa_already_enabled');
    const secret = newTotpSecret();
    await this.store.setPendingMfaSecret(user.id, this.mfaCipher.seal(secret));
    return { secret, otpauth_uri: otpauthUri(secret, user.email) };
  }

  async confirmMfa(principal: Principal, code: string): Promise<string[]> {
    const user = await this.requireUser(principal.userId);
    if (user.mfa_enabled_at) throw conflict('Two-factor sign-in is already on', 'mfa_already_enabled');
    if (!user.mfa_secret_sealed)
      throw conflict('Start with POST /api/v1/auth/mfa/enroll', 'mfa_not_enrolled');
    const step = await verifyTotp(this.mfaCipher.open(user.mfa_secret_sealed), code);
    if (step === undefined)
      throw new AppError(400, 'invalid_mfa_code', 'The code is not valid', { field: 'code' });
    return this.store.transaction(async (tx) => {
      await this.store.enableMfa(tx, user.id, step);
      return this.issueBackupCodes(tx, user.id);
    });
  }

  async regenerateBackupCodes(principal: Principal, code: string): Promise<string[]> {
    const user = await this.requireUser(principal.userId);
    if (!user.mfa_enabled_at) throw conflict('Two-factor sign-in is off', 'mfa_not_enabled');
    if (!(await this.checkSecondFactor(user, code))) {
      throw new AppError(400, 'invalid_mfa_code', 'The code is not valid', { field: 'code' });
    }
    return this.store.transaction((tx) => this.issueBackupCodes(tx, user.id));
  }

  /** New backup codes replace the old ones; only their hashes are kept, the codes are shown once. */
  private async issueBackupCodes(tx: Queryable, userId: string): Promise<string[]> {
    const codes = newBackupCodes();
    await this.store.replaceBackupCodes(tx, userId, codes.map(hashBackupCode));
    return codes;
  }

  async disableMfa(principal: Principal, password: string, code: string | undefined): Promise<void> {
    const user = await this.requireUser(principal.userId);
    await this.reauthenticate(user, password, code);
    await this.store.transaction((tx) => this.store.disableMfa(tx, user.id));
  }

  /** Password, plus the second factor when it is on: asked again before destructive changes. */
  async reauthenticate(user: UserRow, password: string, code: string | undefined): Promise<void> {
    if (!(await verifyPassword(user.password_hash, password))) {
      throw new AppError(400, 'invalid_password', 'The password is incorrect', { field: 'password' });
    }
    if (user.mfa_enabled_at) {
      if (!code)
        throw new AppError(400, 'mfa_code_required', 'Two-factor sign-in is on: send a code too', {
          field: 'code',
        });
      if (!(await this.checkSecondFactor(user, code))) {
        throw new AppError(400, 'invalid_mfa_code', 'The code is not valid', { field: 'code' });
      }
    }
  }

  /** A TOTP code (each usable once) or an unused backup code. */
  private async checkSecondFactor(user: UserRow, code: string): Promise<boolean> {
    if (user.mfa_secret_sealed && /^\d{6}$/.test(code.trim())) {
      const step = await verifyTotp(
        this.mfaCipher.open(user.mfa_secret_sealed),
        code.trim(),
        user.mfa_last_time_step ?? undefined,
      );
      return step !== undefined && (await this.store.consumeTimeStep(user.id, step));
    }
    return this.store.consumeBackupCode(user.id, hashBackupCode(code));
  }

  async setRole(actor: Principal, userId: string, role: Role): Promise<UserRow> {
    if (actor.userId === userId) throw badRequest('Admins cannot change their own role', { field: 'id' });
    const user = await this.store.setRole(userId, role);
    if (!user) throw notFound('No such user');
    return user;
  }

  /**
   * Deletes the account everywhere: every other service erases what it holds for this user first
   * (called on the user's behalf), then the auth record goes. If any service cannot erase, nothing
   * here is deleted and the user can simply try again: erasing is idempotent.
   */
  async deleteAccount(principal: Principal, password: string, code: string | undefined, requestId: string) {
    const user = await this.requireUser(principal.userId);
    await this.reauthenticate(user, password, code);
    const failures: { service: string; status: number }[] = [];
    for (const service of builtBackendServices()) {
      if (service.slug === 'auth') continue;
      try {
        const result = await this.ctx.clients.call(service.slug, {
          method: 'DELETE',
          path: '/api/v1/account/data',
          token: principal.token,
          requestId,
        });
        if (result.status !== 204 && result.status !== 404)
          failures.push({ service: service.slug, status: result.status });
      } catch (err) {
        failures.push({ service: service.slug, status: err instanceof AppError ? err.status : 503 });
      }
    }
    if (failures.length > 0) {
      throw new AppError(
        502,
        'account_deletion_incomplete',
        'Some services could not erase your data yet; your account is unchanged, please try again',
        failures,
      );
    }
    const ids = await this.store.transaction(async (tx: Queryable) => {
      const revoked = await this.store.revokeSessions(tx, { userId: user.id }, 'account_deleted');
      await this.store.deleteUser(tx, user.id);
      return revoked;
    });
    await this.announceRevoked(ids);
  }

  /** After a restart the in-memory revocation list is empty: refill it from the sessions table. */
  async restoreRevocations(): Promise<void> {
    const recent = await this.store.recentlyRevokedSessions(this.ctx.config.accessTokenTtlSeconds + 60);
    await this.announceRevoked(recent.map((s) => s.id));
  }
}
