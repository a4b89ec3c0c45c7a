import { describe, expect, it } from 'vitest';
import {
  bearer,
  errorCode,
  registerAndLogin,
  useTestApp,
  type SignedIn,
} from '../../test-support/harness.js';

const t = useTestApp();

const BASE = '/health-tracking/api/v1';
const call = (
  user: SignedIn,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  payload?: unknown,
  headers: Record<string, string> = {},
) =>
  t.app.inject({
    method,
    url: `${BASE}${path}`,
    headers: { ...bearer(user.accessToken), ...headers },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });

const daysFromNow = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

describe('symptom journal', () => {
  it('records, lists, changes and deletes symptoms', async () => {
    const user = await registerAndLogin(t.app);
    const created = await call(user, 'POST', '/symptoms', {
      symptom: 'Headache',
      severity: 6,
      onset: '2024-04-02T14:30:00+02:00',
      duration_minutes: 90,
      notes: 'after screen time',
    });
    expect(created.statusCode).toBe(201);
    const s = created.json();
    expect(s).toMatchObject({
      symptom: 'Headache',
      severity: 6,
      onset: '2024-04-02T14:30:00.000+02:00',
      duration_minutes: 90,
      notes: 'after screen time',
    });
    for (let i = 1; i <= 4; i += 1) {
      const res = await call(user, 'POST', '/symptoms', {
        symptom: i % 2 ? 'nausea' : 'headache',
        severity: i,
        onset: `2024-04-0${i + 2}T08:00:00Z`,
      });
      expect(res.statusCode).toBe(201);
    }
    const page1 = (await call(user, 'GET', '/symptoms?limit=3')).json();
    expect(page1.items.map((x: { severity: number }) => x.severity)).toEqual([4, 3, 2]);
    const page2 = (await call(user, 'GET', `/symptoms?limit=3&cursor=${page1.next_cursor}`)).json();
    expect(page2.items.map((x: { severity: number }) => x.severity)).toEqual([1, 6]);
    expect(page2.next_cursor).toBeNull();
    expect((await call(user, 'GET', '/symptoms?symptom=HEADACHE')).json().items).toHaveLength(3);
    expect((await call(user, 'GET', '/symptoms?min_severity=4')).json().items).toHaveLength(2);
    expect((await call(user, 'GET', '/symptoms?from=2024-04-04T00:00:00Z')).json().items).toHaveLength(3);

    const patched = await call(user, 'PATCH', `/symptoms/${s.id}`, { severity: 3, notes: null });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ severity: 3, notes: null, onset: s.onset, duration_minutes: 90 });
    expect((await call(user, 'GET', `/symptoms/${s.id}`)).json().severity).toBe(3);
    expect((await call(user, 'DELETE', `/symptoms/${s.id}`)).statusCode).toBe(204);
    expect((await call(user, 'GET', `/symptoms/${s.id}`)).statusCode).toBe(404);

    const { rows } = await t.db.query<{ event: { type: string; data: Record<string, unknown> } }>(
      `SELECT event FROM platform.outbox WHERE event->>'subject' = $1 ORDER BY id`,
      [user.userId],
    );
    expect(rows.map((r) => r.event.type)).toContain('org.pha.health.symptom.deleted');
    expect(JSON.stringify(rows)).not.toMatch(/screen time|Headache/);
  });

  it('refuses bad symptoms with the field named', async () => {
    const user = await registerAndLogin(t.app);
    const cases: [unknown, string][] = [
      [{ symptom: 'cough', severity: 0 }, 'severity'],
      [{ symptom: 'cough', severity: 11 }, 'severity'],
      [{ symptom: 'cough', severity: 5.5 }, 'severity'],
      [{ symptom: 'cough' }, 'severity'],
      [{ severity: 3 }, 'symptom'],
      [{ symptom: '   ', severity: 3 }, 'symptom'],
      [{ symptom: 'cough', severity: 3, onset: '2099-01-01T00:00:00Z' }, 'onset'],
      [{ symptom: 'cough', severity: 3, onset: 'Tuesday' }, 'onset'],
      [{ symptom: 'cough', severity: 3, duration_minutes: -5 }, 'duration_minutes'],
      [{ symptom: 'cough', severity: 3, mood: 'low' }, 'mood'],
    ];
    for (const [payload, field] of cases) {
      const res = await call(user, 'POST', '/symptoms', payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().error.details.map((d: { field: string }) => d.field)).toContain(field);
    }
    expect((await call(user, 'GET', '/symptoms')).json().items).toEqual([]);
  });

  it("answers 404 for another user's symptom", async () => {
    const alice = await registerAndLogin(t.app);
    const bob = await registerAndLogin(t.app);
    const s = (await call(alice, 'POST', '/symptoms', { symptom: 'rash', severity: 2 })).json();
    expect((await call(bob, 'GET', `/symptoms/${s.id}`)).statusCode).toBe(404);
    expect((await call(bob, 'PATCH', `/symptoms/${s.id}`, { severity: 9 })).statusCode).toBe(404);
    expect((await call(bob, 'DELETE', `/symptoms/${s.id}`)).statusCode).toBe(404);
    expect((await call(bob, 'GET', '/symptoms')).json().items).toEqual([]);
    expect((await call(alice, 'GET', `/symptoms/${s.id}`)).json().severity).toBe(2);
  });

  it('honours Idempotency-Key', async () => {
    const user = await registerAndLogin(t.app);
    const key = { 'idempotency-key': 'symptom-1' };
    const a = await call(user, 'POST', '/symptoms', { symptom: 'cough', severity: 2 }, key);
    const b = await call(user, 'POST', '/symptoms', { symptom: 'cough', severity: 2 }, key);
    expect(b.json().id).toBe(a.json().id);
    expect((await call(user, 'GET', '/symptoms')).json().items).toHaveLength(1);
  });
});

describe('goals', () => {
  it('tracks a decrease goal from my latest reading, in the unit I chose', async () => {
    const user = await registerAndLogin(t.app);
    await call(user, 'POST', '/metrics', {
      metric_type: 'weight',
      value: 80,
      unit: 'kg',
      timestamp: '2024-01-01T08:00:00Z',
    });
    const goal = await call(user, 'POST', '/goals', {
      metric_type: 'weight',
      direction: 'decrease',
      target_value: 154.32358352941,
      unit: 'lb',
      deadline: daysFromNow(90),
      title: 'Lose 10 kg',
    });
    expect(goal.statusCode, goal.body).toBe(201);
    const g = goal.json();
    expect(g.baseline_value).toBeCloseTo(176.3698097, 5); // 80 kg in lb
    expect(g.progress).toMatchObject({ status: 'in_progress', progress_percent: 0 });
    expect(g.progress.current_value).toBeCloseTo(176.3698097, 5);

    await call(user, 'POST', '/metrics', {
      metric_type: 'weight',
      value: 75,
      unit: 'kg',
      timestamp: '2024-02-01T08:00:00Z',
    });
    const halfway = (await call(user, 'GET', `/goals/${g.id}`)).json();
    expect(halfway.progress.progress_percent).toBe(50);
    expect(halfway.progress.remaining).toBeCloseTo(11.0231131, 5); // 5 kg in lb
    expect(halfway.progress.current_at).toBe('2024-02-01T08:00:00.000Z');

    await call(user, 'POST', '/metrics', {
      metric_type: 'weight',
      value: 69.5,
      unit: 'kg',
      timestamp: '2024-03-01T08:00:00Z',
    });
    const done = (await call(user, 'GET', `/goals/${g.id}`)).json();
    expect(done.progress).toMatchObject({
      status: 'achieved',
      achieved: true,
      progress_percent: 100,
      remaining: 0,
    });
  });

  it('tracks an increase goal and a maintain goal', async () => {
    const user = await registerAndLogin(t.app);
    await call(user, 'POST', '/metrics/batch', {
      items: [
        {
          metric_type: 'steps',
          value: 6000,
          unit: 'steps',
          timestamp: '2024-01-01T20:00:00Z',
          source: 'phone',
        },
        {
          metric_type: 'body_temperature',
          value: 98.6,
          unit: '°F',
          timestamp: '2024-01-01T20:00:00Z',
          source: 'thermo',
        },
      ],
    });
    const up = (
      await call(user, 'POST', '/goals', {
        metric_type: 'steps',
        direction: 'increase',
        target_value: 10000,
        unit: 'steps',
        baseline_value: 4000,
        deadline: daysFromNow(30),
      })
    ).json();
    expect(up.progress).toMatchObject({
      status: 'in_progress',
      progress_percent: 33.3,
      current_value: 6000,
      remaining: 4000,
    });

    const keep = await call(user, 'POST', '/goals', {
      metric_type: 'body_temperature',
      direction: 'maintain',
      target_value: 98.0,
      tolerance: 1,
      unit: '°F',
      deadline: daysFromNow(30),
    });
    expect(keep.statusCode, keep.body).toBe(201);
    expect(keep.json()).toMatchObject({ tolerance: 1, target_value: 98, unit: '°F' });
    expect(keep.json().progress).toMatchObject({ status: 'on_track', progress_percent: null });
    expect(keep.json().progress.current_value).toBeCloseTo(98.6, 9);

    const list = (await call(user, 'GET', '/goals')).json();
    expect(list.items.map((x: { metric_type: string }) => x.metric_type)).toEqual([
      'body_temperature',
      'steps',
    ]);
    const patched = await call(user, 'PATCH', `/goals/${up.id}`, { target_value: 6000 });
    expect(patched.json().progress.status).toBe('achieved');
    expect(
      (await call(user, 'PATCH', `/goals/${keep.json().id}`, { tolerance: 0.5 })).json().progress.status,
    ).toBe('off_track');
    expect((await call(user, 'DELETE', `/goals/${up.id}`)).statusCode).toBe(204);
    expect((await call(user, 'GET', '/goals')).json().items).toHaveLength(1);
  });

  it('refuses goals that cannot be met as stated', async () => {
    const user = await registerAndLogin(t.app);
    await call(user, 'POST', '/metrics', {
      metric_type: 'weight',
      value: 80,
      unit: 'kg',
      timestamp: '2024-01-01T08:00:00Z',
    });
    const base = {
      metric_type: 'weight',
      direction: 'decrease',
      target_value: 70,
      unit: 'kg',
      deadline: daysFromNow(30),
    };
    const cases: [unknown, string][] = [
      [{ ...base, target_value: 90 }, 'target_value'],
      [{ ...base, direction: 'increase' }, 'target_value'],
      [{ ...base, target_value: 7000 }, 'target_value'],
      [{ ...base, unit: 'bpm' }, 'unit'],
      [{ ...base, deadline: '2020-01-01' }, 'deadline'],
      [{ ...base, deadline: '2024-02-30' }, 'deadline'],
      [{ ...base, direction: 'maintain' }, 'tolerance'],
      [{ ...base, tolerance: 1 }, 'tolerance'],
      [{ ...base, direction: 'sideways' }, 'direction'],
      [{ ...base, metric_type: 'blood_pressure', unit: 'mmHg' }, 'metric_type'],
    ];
    for (const [payload, field] of cases) {
      const res = await call(user, 'POST', '/goals', payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(
        res.json().error.details.map((d: { field: string }) => d.field),
        JSON.stringify(payload),
      ).toContain(field);
    }
    const message = (await call(user, 'POST', '/goals', { ...base, target_value: 90 })).json().error.message;
    expect(message).toMatch(/below the baseline 80 kg/);
    expect((await call(user, 'GET', '/goals')).json().items).toEqual([]);
  });

  it("answers 404 for another user's goal", async () => {
    const alice = await registerAndLogin(t.app);
    const bob = await registerAndLogin(t.app);
    const g = (
      await call(alice, 'POST', '/goals', {
        metric_type: 'steps',
        direction: 'increase',
        target_value: 8000,
        unit: 'steps',
        deadline: daysFromNow(10),
      })
    ).json();
    expect(g.progress.status).toBe('no_data');
    expect((await call(bob, 'GET', `/goals/${g.id}`)).statusCode).toBe(404);
    expect((await call(bob, 'PATCH', `/goals/${g.id}`, { target_value: 1 })).statusCode).toBe(404);
    expect(errorCode(await call(bob, 'DELETE', `/goals/${g.id}`))).toBe('not_found');
    expect((await call(bob, 'GET', '/goals')).json().items).toEqual([]);
  });

  it('exports symptoms and goals with the account', async () => {
    const user = await registerAndLogin(t.app);
    await call(user, 'POST', '/symptoms', { symptom: 'cough', severity: 2 });
    await call(user, 'POST', '/goals', {
      metric_type: 'steps',
      direction: 'increase',
      target_value: 8000,
      unit: 'steps',
      deadline: daysFromNow(10),
    });
    const data = (await call(user, 'GET', '/account/export')).json().data;
    expect(data.symptoms).toHaveLength(1);
    expect(data.goals).toHaveLength(1);
    expect((await call(user, 'DELETE', '/account/data')).statusCode).toBe(204);
    const after = (await call(user, 'GET', '/account/export')).json().data;
    expect(after).toEqual({ metrics: [], series: [], symptoms: [], goals: [] });
  });
});
