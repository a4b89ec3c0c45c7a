import { describe, expect, it } from 'vitest';
import { bearer, errorCode, registerAndLogin, useTestApp } from '../../test-support/harness.js';

const t = useTestApp();

async function nutritionEvents(userId: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const { rows } = await t.db.query<{ event: { type: string; data: Record<string, unknown> } }>(
    `SELECT event FROM platform.outbox WHERE topic = 'health-events' AND event->>'subject' = $1
     AND event->>'type' LIKE 'org.pha.nutrition.%' ORDER BY id`,
    [userId],
  );
  return rows.map((r) => r.event);
}

const post = (token: string, url: string, payload: object, key?: string) =>
  t.app.inject({
    method: 'POST',
    url,
    headers: { ...bearer(token), ...(key === undefined ? {} : { 'idempotency-key': key }) },
    payload,
  });

describe('Idempotency-Key on nutrition POSTs', () => {
  it('replays a retried meal instead of logging it twice', async () => {
    const user = await registerAndLogin(t.app);
    const body = { name: 'Lunch', description: '200 g chicken breast' };
    const first = await post(user.accessToken, '/nutrition/api/v1/meals', body, 'meal-retry-1');
    expect(first.statusCode).toBe(201);
    const retry = await post(user.accessToken, '/nutrition/api/v1/meals', body, 'meal-retry-1');
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json().id).toBe(first.json().id);
    const list = await t.app.inject({
      method: 'GET',
      url: '/nutrition/api/v1/meals',
      headers: bearer(user.accessToken),
    });
    expect(list.json().items).toHaveLength(1);
    expect((await nutritionEvents(user.userId)).map((e) => e.type)).toEqual([
      'org.pha.nutrition.meal.logged',
    ]);
  });

  it('refuses a key reused for a different request, and a malformed key', async () => {
    const user = await registerAndLogin(t.app);
    await post(user.accessToken, '/nutrition/api/v1/meals', { name: 'A', description: '1 apple' }, 'k-1');
    const reused = await post(
      user.accessToken,
      '/nutrition/api/v1/meals',
      { name: 'B', description: '1 banana' },
      'k-1',
    );
    expect(reused.statusCode).toBe(422);
    expect(errorCode(reused)).toBe('idempotency_key_reused');
    const bad = await post(
      user.accessToken,
      '/nutrition/api/v1/water',
      { amount: { value: 250, unit: 'mL' } },
      'k ey',
    );
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].field).toBe('Idempotency-Key');
  });

  it('keeps keys per user: the same key from two people logs two meals', async () => {
    const a = await registerAndLogin(t.app);
    const b = await registerAndLogin(t.app);
    const body = { name: 'Snack', description: '1 apple' };
    const first = await post(a.accessToken, '/nutrition/api/v1/meals', body, 'shared-key');
    const second = await post(b.accessToken, '/nutrition/api/v1/meals', body, 'shared-key');
    expect(second.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(second.json().id).not.toBe(first.json().id);
  });

  it('replays a retried water entry', async () => {
    const user = await registerAndLogin(t.app);
    const body = { amount: { value: 250, unit: 'mL' }, logged_at: '2026-03-01T09:00:00+01:00' };
    const first = await post(user.accessToken, '/nutrition/api/v1/water', body, 'water-1');
    const retry = await post(user.accessToken, '/nutrition/api/v1/water', body, 'water-1');
    expect(retry.json().id).toBe(first.json().id);
    const day = await t.app.inject({
      method: 'GET',
      url: '/nutrition/api/v1/water?date=2026-03-01&timezone=Europe/Paris',
      headers: bearer(user.accessToken),
    });
    expect(day.json().total).toEqual({ value: 250, unit: 'mL' });
  });
});

describe('nutrition events', () => {
  it('announces meals and water on health-events without their descriptions', async () => {
    const user = await registerAndLogin(t.app);
    const meal = (
      await post(user.accessToken, '/nutrition/api/v1/meals', {
        name: 'Breakfast',
        description: 'Oatmeal with berries',
        eaten_at: '2026-03-02T08:15:00+01:00',
      })
    ).json();
    await t.app.inject({
      method: 'PATCH',
      url: `/nutrition/api/v1/meals/${meal.id}`,
      headers: bearer(user.accessToken),
      payload: { name: 'Big breakfast' },
    });
    await t.app.inject({
      method: 'DELETE',
      url: `/nutrition/api/v1/meals/${meal.id}`,
      headers: bearer(user.accessToken),
    });
    const water = (
      await post(user.accessToken, '/nutrition/api/v1/water', { amount: { value: 1, unit: 'L' } })
    ).json();
    await t.app.inject({
      method: 'DELETE',
      url: `/nutrition/api/v1/water/${water.id}`,
      headers: bearer(user.accessToken),
    });
    const events = await nutritionEvents(user.userId);
    expect(events.map((e) => e.type)).toEqual([
      'org.pha.nutrition.meal.logged',
      'org.pha.nutrition.meal.corrected',
      'org.pha.nutrition.meal.deleted',
      'org.pha.nutrition.water.logged',
      'org.pha.nutrition.water.deleted',
    ]);
    expect(events[0]!.data).toEqual({
      meal_id: meal.id,
      meal_type: 'breakfast',
      eaten_at: '2026-03-02T07:15:00.000Z',
    });
    expect(JSON.stringify(events)).not.toContain('Oatmeal');
  });

  it('writes no event when the meal was not found', async () => {
    const user = await registerAndLogin(t.app);
    const res = await t.app.inject({
      method: 'DELETE',
      url: '/nutrition/api/v1/meals/0190b7a0-0000-7000-8000-000000000000',
      headers: bearer(user.accessToken),
    });
    expect(res.statusCode).toBe(404);
    expect(await nutritionEvents(user.userId)).toEqual([]);
  });
});
