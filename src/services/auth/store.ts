import type { Db, Queryable } from '../../platform/db/db.js';
import type { Role } from '../../platform/auth/principal.js';

export interface UserRow {
  id: string;
  email: string;
  full_name: string;
  password_hash: string;
  role: Role;
  email_verified_at: Date | null;
  mfa_secret_sealed: string | null;
  mfa_enabled_at: Date | null;
  mfa_last_time_step: number | null;
  password_changed_at: Date;
  created_at: Date;
  updated_at: Date;
}

export interface SessionRow {
  id: string;
  user_id: string;
  user_agent: string | null;
  created_at: Date;
  last_used_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  revoked_reason: string | null;
}

export type OneTimePurpose = 'password_reset' | 'email_verification';

/** The auth service's SQL. Nothing outside this service reads these tables. */
export class AuthStore {
  constructor(private readonly db: Db) {}

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  async insertUser(
    q: Queryable,
    user: { id: string; email: string; fullName: string; passwordHash: string; role: Role },
  ): Promise<UserRow> {
    const { rows } = await q.query<UserRow>(
      `INSERT INTO auth.users (id, email, full_name, password_hash, role) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [user.id, user.email, user.fullName, user.passwordHash, user.role],
    );
    return rows[0]!;
  }

  async userByEmail(email: string, q: Queryable = this.db): Promise<UserRow | undefined> {
    const { rows } = await q.query<UserRow>('SELECT * FROM auth.users WHERE email = $1', [email]);
    return rows[0];
  }

  async userById(id: string, q: Queryable = this.db): Promise<UserRow | undefined> {
    const { rows } = await q.query<UserRow>('SELECT * FROM auth.users WHERE id = $1', [id]);
    return rows[0];
  }

  async setPassword(q: Queryable, userId: string, passwordHash: string): Promise<void> {
    await q.query(
      'UPDATE auth.users SET password_hash = $2, password_changed_at = now(), updated_at = now() WHERE id = $1',
      [userId, passwordHash],
    );
  }

  async setRole(userId: string, role: Role): Promise<UserRow | undefined> {
    const { rows } = await this.db.query<UserRow>(
      'UPDATE auth.users SET role = $2, updated_at = now() WHERE id = $1 RETURNING *',
      [userId, role],
    );
    return rows[0];
  }

  async markEmailVerified(q: Queryable, userId: string): Promise<void> {
    await q.query(
      'UPDATE auth.users SET email_verified_at = coalesce(email_verified_at, now()), updated_at = now() WHERE id = $1',
      [userId],
    );
  }

  async setPendingMfaSecret(userId: string, sealed: string): Promise<void> {
    await this.db.query(
      'UPDATE auth.users SET mfa_secret_sealed = $2, mfa_enabled_at = NULL, mfa_last_time_step = NULL, updated_at = now() WHERE id = $1',
      [userId, sealed],
    );
  }

  async enableMfa(q: Queryable, userId: string, timeStep: number): Promise<void> {
    await q.query(
      'UPDATE auth.users SET mfa_enabled_at = now(), mfa_last_time_step = $2, updated_at = now() WHERE id = $1',
      [userId, timeStep],
    );
  }

  /** Records the TOTP step just used; false when it was already used (replay). */
  async consumeTimeStep(userId: string, timeStep: number): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE auth.users SET mfa_last_time_step = $2
       WHERE id = $1 AND (mfa_last_time_step IS NULL OR mfa_last_time_step < $2)`,
      [userId, timeStep],
    );
    return rowCount === 1;
  }

  async disableMfa(q: Queryable, userId: string): Promise<void> {
    await q.query(
      'UPDATE auth.users SET mfa_secret_sealed = NULL, mfa_enabled_at = NULL, mfa_last_time_step = NULL, updated_at = now() WHERE id = $1',
      [userId],
    );
    await q.query('DELETE FROM auth.backup_codes WHERE user_id = $1', [userId]);
  }

  async replaceBackupCodes(q: Queryable, userId: string, codeHashes: string[]): Promise<void> {
    await q.query('DELETE FROM auth.backup_codes WHERE user_id = $1', [userId]);
    for (const codeHash of codeHashes) {
      await q.query('INSERT INTO auth.backup_codes (user_id, code_hash) VALUES ($1, $2)', [userId, codeHash]);
    }
  }

  async consumeBackupCode(userId: string, codeHash: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      'UPDATE auth.backup_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL',
      [userId, codeHash],
    );
    return rowCount === 1;
  }

  async remainingBackupCodes(userId: string): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM auth.backup_codes WHERE user_id = $1 AND used_at IS NULL',
      [userId],
    );
    return rows[0]?.n ?? 0;
  }

  async insertSession(
    q: Queryable,
    session: { id: string; userId: string; userAgent: string | undefined; expiresAt: Date },
  ): Promise<void> {
    await q.query('INSERT INTO auth.sessions (id, user_id, user_agent, expires_at) VALUES ($1, $2, $3, $4)', [
      session.id,
      session.userId,
      session.userAgent?.slice(0, 300) ?? null,
      session.expiresAt,
    ]);
  }

  async sessionById(id: string, q: Queryable = this.db): Promise<SessionRow | undefined> {
    const { rows } = await q.query<SessionRow>('SELECT * FROM auth.sessions WHERE id = $1', [id]);
    return rows[0];
  }

  async sessionsOfUser(userId: string): Promise<SessionRow[]> {
    const { rows } = await this.db.query<SessionRow>(
      `SELECT * FROM auth.sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
       ORDER BY last_used_at DESC`,
      [userId],
    );
    return rows;
  }

  /** Revokes sessions and returns the ids that were still live, so every service can be told. */
  async revokeSessions(
    q: Queryable,
    where: { userId: string; sessionId?: string; exceptSessionId?: string },
    reason: string,
  ): Promise<string[]> {
    const { rows } = await q.query<{ id: string }>(
      `UPDATE auth.sessions SET revoked_at = now(), revoked_reason = $4
       WHERE user_id = $1 AND revoked_at IS NULL
         AND ($2::uuid IS NULL OR id = $2::uuid)
         AND ($3::uuid IS NULL OR id <> $3::uuid)
       RETURNING id`,
      [where.userId, where.sessionId ?? null, where.exceptSessionId ?? null, reason],
    );
    return rows.map((r) => r.id);
  }

  /** Sessions revoked recently enough that access tokens issued for them may still be unexpired. */
  async recentlyRevokedSessions(withinSeconds: number): Promise<{ id: string; revoked_at: Date }[]> {
    const { rows } = await this.db.query<{ id: string; revoked_at: Date }>(
      `SELECT id, revoked_at FROM auth.sessions WHERE revoked_at > now() - make_interval(secs => $1)`,
      [withinSeconds],
    );
    return rows;
  }

  async insertRefreshToken(
    q: Queryable,
    tokenHash: string,
    sessionId: string,
    expiresAt: Date,
  ): Promise<void> {
    await q.query(
      'INSERT INTO auth.refresh_tokens (token_hash, session_id, expires_at) VALUES ($1, $2, $3)',
      [tokenHash, sessionId, expiresAt],
    );
    await q.query('UPDATE auth.sessions SET last_used_at = now() WHERE id = $1', [sessionId]);
  }

  /**
   * Marks a refresh token used, atomically. Returns the token's row and whether this call was the one
   * that used it (false means it had been used before: a replay).
   */
  async useRefreshToken(
    q: Queryable,
    tokenHash: string,
  ): Promise<{ session_id: string; expires_at: Date; firstUse: boolean } | undefined> {
    const used = await q.query<{ session_id: string; expires_at: Date }>(
      `UPDATE auth.refresh_tokens SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL
       RETURNING session_id, expires_at`,
      [tokenHash],
    );
    if (used.rows[0]) return { ...used.rows[0], firstUse: true };
    const seen = await q.query<{ session_id: string; expires_at: Date }>(
      'SELECT session_id, expires_at FROM auth.refresh_tokens WHERE token_hash = $1',
      [tokenHash],
    );
    return seen.rows[0] ? { ...seen.rows[0], firstUse: false } : undefined;
  }

  async insertOneTimeToken(
    q: Queryable,
    token: { hash: string; userId: string; purpose: OneTimePurpose; expiresAt: Date },
  ): Promise<void> {
    // A new link replaces older unused ones of the same purpose.
    await q.query(
      'UPDATE auth.one_time_tokens SET used_at = now() WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL',
      [token.userId, token.purpose],
    );
    await q.query(
      'INSERT INTO auth.one_time_tokens (token_hash, user_id, purpose, expires_at) VALUES ($1, $2, $3, $4)',
      [token.hash, token.userId, token.purpose, token.expiresAt],
    );
  }

  /** Uses a mailed token once; undefined when unknown, used, expired or of another purpose. */
  async consumeOneTimeToken(
    q: Queryable,
    hash: string,
    purpose: OneTimePurpose,
  ): Promise<string | undefined> {
    const { rows } = await q.query<{ user_id: string }>(
      `UPDATE auth.one_time_tokens SET used_at = now()
       WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
       RETURNING user_id`,
      [hash, purpose],
    );
    return rows[0]?.user_id;
  }

  async deleteUser(q: Queryable, userId: string): Promise<void> {
    await q.query('DELETE FROM auth.users WHERE id = $1', [userId]);
  }
}
