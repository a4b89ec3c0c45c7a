import { describe, expect, it } from 'vitest';
import { bearer, errorCode, registerAndLogin, useTestApp } from '../../test-support/harness.js';

const t = useTestApp();

const api = (
  token: string,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT',
  url: string,
  payload?: object,
) => t.app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });

describe('meals', () => {
  it('logs the seed smoke-test meal with nutrients and units', async () => {
    const user = await registerAndLogin(t.app);
    const res = await api(user.accessToken, 'POST', '/nutrition/api/v1/meals', {
      name: 'Breakfast',
      description: 'Oatmeal with berries',
    });
    expect(res.statusCode).toBe(201);
    const meal = res.json();
    expect(meal.meal_type).toBe('breakfast');
    expect(meal.items).toHaveLength(2);
    expect(meal.items[0].food.ndb_no).toBe('20038');
    expect(meal.items[0].match.interpreted_as).toBe('oats');
    // 40 g oats (389 kcal/100 g) + 74 g blueberries (57 kcal/100 g)
    expect(meal.nutrients.energy).toEqual({ value: Math.round(155.6 + 42.18), unit: 'kcal', complete: true });
    expect(meal.nutrients.sodium.unit).toBe('mg');
    expect(meal.items[1].nutrients.fiber).toEqual({ value: 1.78, unit: 'g' });
    const list = await api(user.accessToken, 'GET', '/nutrition/api/v1/meals');
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((m: { id: string }) => m.id)).toEqual([meal.id]);
  });

  it('reports what it could not match and lets it be corrected', async () => {
    const user = await registerAndLogin(t.app);
    const res = await api(user.accessToken, 'POST', '/nutrition/api/v1/meals', {
      name: 'Late breakfast',
      description: '2 eggs and toast',
    });
    expect(res.statusCode).toBe(201);
    const meal = res.json();
    expect(meal.meal_type).toBeNull();
    expect(meal.items[0]).toMatchObject({ status: 'matched', grams: 100 });
    expect(meal.unresolved).toEqual([expect.objectContaining({ text: 'toast', status: 'unmatched' })]);
    expect(meal.nutrients.protein.value).toBeCloseTo(12.56, 2);
    const toastId = meal.unresolved[0].item_id;
    // Correct toast to a food and weight, and the eggs to 2 fried eggs' worth.
    const patched = await api(user.accessToken, 'PATCH', `/nutrition/api/v1/meals/${meal.id}`, {
      corrections: [
        { item_id: toastId, ndb_no: '20121', grams: 50 },
        { item_id: meal.items[0].id, grams: 120 },
      ],
    });
    expect(patched.statusCode).toBe(200);
    const fixed = patched.json();
    expect(fixed.unresolved).toEqual([]);
    expect(fixed.items[1]).toMatchObject({ status: 'matched', grams: 50, match: { corrected: true } });
    expect(fixed.items[0].portion.source).toBe('corrected');
    expect(
      (await api(user.accessToken, 'GET', `/nutrition/api/v1/meals/${meal.id}`)).json().unresolved,
    ).toEqual([]);
    const bad = await api(user.accessToken, 'PATCH', `/nutrition/api/v1/meals/${meal.id}`, {
      corrections: [{ item_id: toastId, ndb_no: '99999' }],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].field).toBe('corrections.0.ndb_no');
  });

  it('refuses empty, oversized and food-less descriptions', async () => {
    const user = await registerAndLogin(t.app);
    const post = (payload: object) => api(user.accessToken, 'POST', '/nutrition/api/v1/meals', payload);
    expect(errorCode(await post({ name: 'Lunch', description: '' }))).toBe('validation_error');
    expect((await post({ name: 'Lunch', description: 'x'.repeat(1001) })).statusCode).toBe(400);
    expect((await post({ name: 'Lunch', description: ', and ,' })).json().error.details[0].field).toBe(
      'description',
    );
    expect((await post({ name: 'Lunch' })).statusCode).toBe(400);
    const many = Array.from({ length: 31 }, () => 'apple').join(', ');
    expect((await post({ name: 'Lunch', description: many })).statusCode).toBe(400);
  });

  it('keeps each user to their own meals', async () => {
    const alice = await registerAndLogin(t.app);
    const bob = await registerAndLogin(t.app);
    const meal = (
      await api(alice.accessToken, 'POST', '/nutrition/api/v1/meals', {
        name: 'Dinner',
        description: '200 g chicken breast',
      })
    ).json();
    const url = `/nutrition/api/v1/meals/${meal.id}`;
    expect((await api(bob.accessToken, 'GET', url)).statusCode).toBe(404);
    expect((await api(bob.accessToken, 'PATCH', url, { name: 'Mine' })).statusCode).toBe(404);
    expect((await api(bob.accessToken, 'DELETE', url)).statusCode).toBe(404);
    expect((await api(bob.accessToken, 'GET', '/nutrition/api/v1/meals')).json().items).toEqual([]);
    expect((await t.app.inject({ method: 'GET', url: '/nutrition/api/v1/meals' })).statusCode).toBe(401);
    expect((await api(alice.accessToken, 'DELETE', url)).statusCode).toBe(204);
    expect((await api(alice.accessToken, 'GET', url)).statusCode).toBe(404);
  });

  it('pages the list with a cursor', async () => {
    const user = await registerAndLogin(t.app);
    for (const h of [7, 12, 19]) {
      await api(user.accessToken, 'POST', '/nutrition/api/v1/meals', {
        name: `Meal ${h}`,
        description: 'an apple',
        eaten_at: `2025-03-01T${String(h).padStart(2, '0')}:00:00Z`,
      });
    }
    const first = (await api(user.accessToken, 'GET', '/nutrition/api/v1/meals?limit=2')).json();
    expect(first.items.map((m: { name: string }) => m.name)).toEqual(['Meal 19', 'Meal 12']);
    const second = (
      await api(user.accessToken, 'GET', `/nutrition/api/v1/meals?limit=2&cursor=${first.next_cursor}`)
    ).json();
    expect(second.items.map((m: { name: string }) => m.name)).toEqual(['Meal 7']);
    expect(second.next_cursor).toBeNull();
    expect((await api(user.accessToken, 'GET', '/nutrition/api/v1/meals?cursor=nonsense')).statusCode).toBe(
      400,
    );
  });
});

describe('foods, water and daily totals', () => {
  it('searches foods', async () => {
    const user = await registerAndLogin(t.app);
    const res = await api(user.accessToken, 'GET', '/nutrition/api/v1/foods?q=banana&limit=3');
    expect(res.statusCode).toBe(200);
    const top = res.json().items[0].food;
    expect(top).toMatchObject({ ndb_no: '09040', description: 'Bananas, raw' });
    expect(top.per_100g.energy).toEqual({ value: 89, unit: 'kcal' });
    expect(top.portions).toContainEqual({ label: '1 cup', grams: 150 });
    expect((await api(user.accessToken, 'GET', '/nutrition/api/v1/foods/09040')).statusCode).toBe(200);
    expect((await api(user.accessToken, 'GET', '/nutrition/api/v1/foods/00000')).statusCode).toBe(404);
    expect((await api(user.accessToken, 'GET', '/nutrition/api/v1/foods')).statusCode).toBe(400);
  });

  it('totals a day against targets from the profile', async () => {
    const user = await registerAndLogin(t.app);
    await api(user.accessToken, 'POST', '/nutrition/api/v1/meals', {
      name: 'Lunch',
      description: '200 g chicken breast',
      eaten_at: '2025-03-02T12:00:00+01:00',
    });
    await api(user.accessToken, 'POST', '/nutrition/api/v1/water', {
      amount: { value: 2, unit: 'cup' },
      logged_at: '2025-03-02T09:00:00Z',
    });
    const before = (
      await api(
        user.accessToken,
        'GET',
        '/nutrition/api/v1/nutrition/daily?date=2025-03-02&timezone=Europe/Paris',
      )
    ).json();
    expect(before.meals).toBe(1);
    expect(before.water).toEqual({ value: 473, unit: 'mL' });
    expect(before.targets).toBeNull();
    expect(before.targets_missing).toEqual(['weight', 'height', 'date_of_birth', 'sex']);
    await api(user.accessToken, 'PUT', '/user-profile/api/v1/profile', {
      sex: 'male',
      date_of_birth: '1990-01-01',
      height: { value: 175, unit: 'cm' },
      weight: { value: 70, unit: 'kg' },
    });
    const after = (
      await api(
        user.accessToken,
        'GET',
        '/nutrition/api/v1/nutrition/daily?date=2025-03-02&timezone=Europe/Paris&activity_level=light',
      )
    ).json();
    expect(after.targets.energy.activity_factor).toBe(1.375);
    expect(after.targets.energy.value).toBeGreaterThan(2000);
    expect(after.targets.method).toMatch(/Mifflin/);
    expect(after.nutrients.protein.unit).toBe('g');
    const water = await api(user.accessToken, 'GET', '/nutrition/api/v1/water?date=2025-03-02');
    expect(water.json().total).toEqual({ value: 473, unit: 'mL' });
    expect((await api(user.accessToken, 'GET', '/nutrition/api/v1/water?date=2025-02-30')).statusCode).toBe(
      400,
    );
  });

  it('exports and erases my data', async () => {
    const user = await registerAndLogin(t.app);
    await api(user.accessToken, 'POST', '/nutrition/api/v1/meals', {
      name: 'Snack',
      description: 'a banana',
    });
    const exported = (await api(user.accessToken, 'GET', '/nutrition/api/v1/account/export')).json();
    expect(exported.data.meals).toHaveLength(1);
    expect((await api(user.accessToken, 'DELETE', '/nutrition/api/v1/account/data')).statusCode).toBe(204);
    expect((await api(user.accessToken, 'GET', '/nutrition/api/v1/meals')).json().items).toEqual([]);
  });
});

describe('weekly totals', () => {
  const weekly = (token: string, query: string) =>
    api(token, 'GET', `/nutrition/api/v1/nutrition/weekly${query}`);
  const meal = (token: string, description: string, eaten_at: string) =>
    api(token, 'POST', '/nutrition/api/v1/meals', { name: 'Meal', description, eaten_at });

  it('totals each local day and averages over the logged days', async () => {
    const alice = await registerAndLogin(t.app);
    const bob = await registerAndLogin(t.app);
    const oats = (await api(alice.accessToken, 'GET', '/nutrition/api/v1/foods/20038')).json();
    expect(oats.per_100g.energy).toEqual({ value: 389, unit: 'kcal' });
    // Monday 2025-03-03 in Paris (UTC+1): 00:30 local is still Sunday in UTC.
    await meal(alice.accessToken, '100 g oats', '2025-03-02T23:30:00Z');
    await meal(alice.accessToken, '100 g oats', '2025-03-03T08:00:00+01:00');
    // Wednesday, late evening local time (already Wednesday 22:30 UTC).
    await meal(alice.accessToken, '200 g oats', '2025-03-05T23:30:00+01:00');
    // Monday 2025-03-10 00:30 local: the next week.
    await meal(alice.accessToken, '100 g oats', '2025-03-09T23:30:00Z');
    // Sunday 2025-03-02 local: the week before.
    await meal(alice.accessToken, '100 g oats', '2025-03-02T22:30:00Z');
    await api(alice.accessToken, 'POST', '/nutrition/api/v1/water', {
      amount: { value: 500, unit: 'mL' },
      logged_at: '2025-03-04T10:00:00+01:00',
    });
    // Bob's meal on a day of the same week is not Alice's.
    await meal(bob.accessToken, '300 g oats', '2025-03-04T12:00:00+01:00');

    const res = await weekly(alice.accessToken, '?week_start=2025-03-03&timezone=Europe/Paris');
    expect(res.statusCode).toBe(200);
    const week = res.json();
    expect(week).toMatchObject({
      week_start: '2025-03-03',
      week_end: '2025-03-09',
      timezone: 'Europe/Paris',
      days_logged: 2,
      days_not_logged: ['2025-03-04', '2025-03-06', '2025-03-07', '2025-03-08', '2025-03-09'],
      targets: null,
      targets_missing: ['weight', 'height', 'date_of_birth', 'sex'],
    });
    expect(week.days.map((d: { date: string }) => d.date)).toEqual([
      '2025-03-03',
      '2025-03-04',
      '2025-03-05',
      '2025-03-06',
      '2025-03-07',
      '2025-03-08',
      '2025-03-09',
    ]);
    expect(week.days.map((d: { meals: number }) => d.meals)).toEqual([2, 0, 1, 0, 0, 0, 0]);
    expect(week.days.map((d: { logged: boolean }) => d.logged)).toEqual([
      true,
      false,
      true,
      false,
      false,
      false,
      false,
    ]);
    expect(
      week.days.map((d: { nutrients: { energy: { value: number } } }) => d.nutrients.energy.value),
    ).toEqual([778, 0, 778, 0, 0, 0, 0]);
    expect(week.days[1].water).toEqual({ value: 500, unit: 'mL' });
    expect(week.total.meals).toBe(3);
    expect(week.total.nutrients.energy).toEqual({ value: 1556, unit: 'kcal', complete: true });
    expect(week.total.water).toEqual({ value: 500, unit: 'mL' });
    expect(week.average_per_logged_day.over_days).toBe(2);
    expect(week.average_per_logged_day.meals).toBe(1.5);
    expect(week.average_per_logged_day.nutrients.energy).toEqual({
      value: 778,
      unit: 'kcal',
      complete: true,
    });
    expect(week.average_per_logged_day.water).toEqual({ value: 500, unit: 'mL', over_days: 1 });
    const protein100 = oats.per_100g.protein.value as number;
    expect(week.total.nutrients.protein.value).toBeCloseTo(protein100 * 4, 2);
    expect(week.average_per_logged_day.nutrients.protein.value).toBeCloseTo(protein100 * 2, 2);

    // Each day is the daily computation.
    const daily = (
      await api(
        alice.accessToken,
        'GET',
        '/nutrition/api/v1/nutrition/daily?date=2025-03-05&timezone=Europe/Paris',
      )
    ).json();
    expect(week.days[2]).toEqual({
      date: '2025-03-05',
      logged: true,
      meals: daily.meals,
      unresolved_items: daily.unresolved_items,
      nutrients: daily.nutrients,
      water: daily.water,
    });

    // Targets come from the profile, as for a day.
    await api(alice.accessToken, 'PUT', '/user-profile/api/v1/profile', {
      sex: 'female',
      date_of_birth: '1990-01-01',
      height: { value: 165, unit: 'cm' },
      weight: { value: 60, unit: 'kg' },
    });
    const withTargets = (
      await weekly(alice.accessToken, '?week_start=2025-03-03&timezone=Europe/Paris&activity_level=moderate')
    ).json();
    expect(withTargets.targets.energy.activity_factor).toBe(1.55);
    expect(withTargets.targets_missing).toEqual([]);

    const bobs = (await weekly(bob.accessToken, '?week_start=2025-03-03&timezone=Europe/Paris')).json();
    expect(bobs.days_logged).toBe(1);
    expect(bobs.total.nutrients.energy.value).toBe(1167);
  });

  it('answers an empty week with zeros and no average', async () => {
    const user = await registerAndLogin(t.app);
    const res = await weekly(user.accessToken, '?week_start=2024-12-30');
    expect(res.statusCode).toBe(200);
    const week = res.json();
    expect(week).toMatchObject({ week_start: '2024-12-30', week_end: '2025-01-05', timezone: 'UTC' });
    expect(week.days_logged).toBe(0);
    expect(week.days_not_logged).toHaveLength(7);
    expect(week.days.every((d: { logged: boolean; meals: number }) => !d.logged && d.meals === 0)).toBe(true);
    expect(week.total.nutrients.energy).toEqual({ value: 0, unit: 'kcal', complete: true });
    expect(week.total.water).toEqual({ value: 0, unit: 'mL' });
    expect(week.average_per_logged_day).toBeNull();
  });

  it('defaults to the Monday of the current week', async () => {
    const user = await registerAndLogin(t.app);
    const week = (await weekly(user.accessToken, '?timezone=Asia/Tokyo')).json();
    expect(new Date(`${week.week_start}T00:00:00Z`).getUTCDay()).toBe(1);
    const todayTokyo = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' }).format(new Date());
    expect(week.days.map((d: { date: string }) => d.date)).toContain(todayTokyo);
  });

  it('names the bad parameter', async () => {
    const user = await registerAndLogin(t.app);
    const field = async (query: string) => {
      const res = await weekly(user.accessToken, query);
      expect(res.statusCode).toBe(400);
      return res.json().error.details[0].field as string;
    };
    expect(await field('?week_start=2025-02-30')).toBe('week_start');
    expect(await field('?week_start=last-monday')).toBe('week_start');
    expect(await field('?week_start=2025-03-03&timezone=Mars/Olympus')).toBe('timezone');
    expect(await field('?activity_level=lazy')).toBe('activity_level');
    expect(
      (await t.app.inject({ method: 'GET', url: '/nutrition/api/v1/nutrition/weekly' })).statusCode,
    ).toBe(401);
  });
});
