import { describe, expect, it } from 'vitest';
import { bearer, errorCode, registerAndLogin, useTestApp } from '../../test-support/harness.js';

const t = useTestApp();
const N = '/nutrition/api/v1';

const send = (token: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object, key?: string) =>
  t.app.inject({
    method,
    url,
    headers: { ...bearer(token), ...(key === undefined ? {} : { 'idempotency-key': key }) },
    ...(payload ? { payload } : {}),
  });

const count = async (table: 'meals' | 'water_logs', userId: string) =>
  (
    await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM nutrition.${table} WHERE user_id = $1`, [
      userId,
    ])
  ).rows[0]!.n;

describe('nutrition: input the schema lets through but Postgres cannot store', () => {
  // ajv's date-time format accepts a leap second (:60) and year 0000; JavaScript has no leap second
  // and PostgreSQL has no year 0, so these reached the database and answered 500.
  it.each(['2016-12-31T23:59:60Z', '0000-01-01T00:00:00Z'])('a 400 naming the field for %s', async (when) => {
    const user = await registerAndLogin(t.app);
    const water = await send(user.accessToken, 'POST', `${N}/water`, {
      amount: { value: 250, unit: 'mL' },
      logged_at: when,
    });
    expect(water.statusCode, water.body).toBe(400);
    expect(water.json().error.details[0].field).toBe('logged_at');
    const meal = await send(user.accessToken, 'POST', `${N}/meals`, {
      name: 'Lunch',
      description: '1 apple',
      eaten_at: when,
    });
    expect(meal.statusCode, meal.body).toBe(400);
    expect(meal.json().error.details[0].field).toBe('eaten_at');
    const list = await send(user.accessToken, 'GET', `${N}/meals?from=${encodeURIComponent(when)}`);
    expect(list.statusCode, list.body).toBe(400);
    expect(list.json().error.details[0].field).toBe('from');
    expect(await count('meals', user.userId)).toBe(0);
    expect(await count('water_logs', user.userId)).toBe(0);
  });

  it('refuses a leap second when a meal is corrected, and keeps the meal as it was', async () => {
    const user = await registerAndLogin(t.app);
    const meal = await send(user.accessToken, 'POST', `${N}/meals`, {
      name: 'Lunch',
      description: '1 apple',
    });
    expect(meal.statusCode).toBe(201);
    const patched = await send(user.accessToken, 'PATCH', `${N}/meals/${meal.json().id}`, {
      eaten_at: '2016-12-31T23:59:60Z',
    });
    expect(patched.statusCode, patched.body).toBe(400);
    expect(patched.json().error.details[0].field).toBe('eaten_at');
  });

  it('refuses a NUL character in a meal name or description (PostgreSQL text cannot hold it)', async () => {
    const user = await registerAndLogin(t.app);
    const named = await send(user.accessToken, 'POST', `${N}/meals`, {
      name: 'Lun\u0000ch',
      description: '1 apple',
    });
    expect(named.statusCode, named.body).toBe(400);
    expect(named.json().error.details[0].field).toBe('name');
    const described = await send(user.accessToken, 'POST', `${N}/meals`, {
      name: 'Lunch',
      description: '1 apple\u0000',
    });
    expect(described.statusCode, described.body).toBe(400);
    expect(described.json().error.details[0].field).toBe('description');
    const meal = await send(user.accessToken, 'POST', `${N}/meals`, {
      name: 'Lunch',
      description: '1 apple',
    });
    const renamed = await send(user.accessToken, 'PATCH', `${N}/meals/${meal.json().id}`, {
      name: 'a\u0000',
    });
    expect(renamed.statusCode, renamed.body).toBe(400);
    expect(await count('meals', user.userId)).toBe(1);
  });

  it('refuses a forged cursor (an id of dashes, a year-0 time) with a 400', async () => {
    const user = await registerAndLogin(t.app);
    for (const forged of [
      { t: '2024-01-01T00:00:00.000Z', id: '-'.repeat(36) },
      { t: '0000-01-01T00:00:00.000Z', id: '00000000-0000-0000-0000-000000000000' },
    ]) {
      const cursor = Buffer.from(JSON.stringify(forged)).toString('base64url');
      const res = await send(user.accessToken, 'GET', `${N}/meals?cursor=${cursor}`);
      expect(res.statusCode, res.body).toBe(400);
      expect(errorCode(res)).toBe('validation_error');
    }
  });
});

describe('nutrition: the same Idempotency-Key sent twice at once', () => {
  it('logs one meal and one event; both answers carry the same meal', async () => {
    const user = await registerAndLogin(t.app);
    const body = { name: 'Dinner', description: '200 g chicken breast' };
    const [a, b] = await Promise.all([
      send(user.accessToken, 'POST', `${N}/meals`, body, 'same-key-at-once'),
      send(user.accessToken, 'POST', `${N}/meals`, body, 'same-key-at-once'),
    ]);
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    expect(a.json().id).toBe(b.json().id);
    expect([a.headers['idempotent-replayed'], b.headers['idempotent-replayed']].filter(Boolean)).toEqual([
      'true',
    ]);
    expect(await count('meals', user.userId)).toBe(1);
    const events = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM platform.outbox WHERE event->>'subject' = $1
         AND event->>'type' = 'org.pha.nutrition.meal.logged'`,
      [user.userId],
    );
    expect(events.rows[0]!.n).toBe(1);
  });

  it("keeps keys per user: another user's key is not replayed to me", async () => {
    const alice = await registerAndLogin(t.app);
    const bob = await registerAndLogin(t.app);
    const body = { amount: { value: 250, unit: 'mL' } };
    const first = await send(alice.accessToken, 'POST', `${N}/water`, body, 'shared-key');
    const second = await send(bob.accessToken, 'POST', `${N}/water`, body, 'shared-key');
    expect(second.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(second.json().id).not.toBe(first.json().id);
    expect(await count('water_logs', bob.userId)).toBe(1);
  });
});
