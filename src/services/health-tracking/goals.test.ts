import { describe, expect, it } from 'vitest';
import { goalProblem, goalProgress, type GoalSpec } from './goals.js';

const TODAY = '2024-06-01';
const goal = (g: Partial<GoalSpec>): GoalSpec => ({
  direction: 'decrease',
  target: 70,
  baseline: 80,
  tolerance: null,
  deadline: '2024-12-31',
  ...g,
});

describe('goal progress', () => {
  it('counts a decrease goal from the baseline down to the target', () => {
    expect(goalProgress(goal({}), 75, TODAY)).toEqual({
      status: 'in_progress',
      achieved: false,
      progress_percent: 50,
      remaining: 5,
    });
    expect(goalProgress(goal({}), 72.5, TODAY).progress_percent).toBe(75);
    expect(goalProgress(goal({}), 70, TODAY)).toMatchObject({
      status: 'achieved',
      progress_percent: 100,
      remaining: 0,
    });
    expect(goalProgress(goal({}), 68, TODAY)).toMatchObject({ achieved: true, progress_percent: 100 });
    // Going the wrong way shows no progress, not a negative one.
    expect(goalProgress(goal({}), 85, TODAY)).toMatchObject({ progress_percent: 0, remaining: 15 });
  });

  it('counts an increase goal from the baseline up to the target', () => {
    const g = goal({ direction: 'increase', baseline: 4000, target: 10000 });
    expect(goalProgress(g, 7000, TODAY)).toMatchObject({ progress_percent: 50, remaining: 3000 });
    expect(goalProgress(g, 10000, TODAY)).toMatchObject({ status: 'achieved', progress_percent: 100 });
    expect(goalProgress(g, 3000, TODAY)).toMatchObject({ progress_percent: 0, remaining: 7000 });
  });

  it('keeps a maintain goal on track inside the band', () => {
    const g = goal({ direction: 'maintain', target: 70, baseline: null, tolerance: 2 });
    expect(goalProgress(g, 71.5, TODAY).status).toBe('on_track');
    expect(goalProgress(g, 72.5, TODAY).status).toBe('off_track');
    expect(goalProgress(g, 69, '2025-01-01')).toMatchObject({ status: 'achieved', achieved: true });
    expect(goalProgress(g, 75, '2025-01-01').status).toBe('missed');
  });

  it('reports missing data and missed deadlines', () => {
    expect(goalProgress(goal({}), null, TODAY).status).toBe('no_data');
    expect(goalProgress(goal({}), 75, '2025-01-01').status).toBe('missed');
    expect(goalProgress(goal({ baseline: null }), 75, TODAY).progress_percent).toBeNull();
  });
});

describe('goal validation', () => {
  it('needs the target on the right side of the baseline', () => {
    expect(goalProblem('increase', 70, 80, null)?.field).toBe('target_value');
    expect(goalProblem('decrease', 90, 80, null)?.problem).toMatch(/did you mean increase/);
    expect(goalProblem('decrease', 70, 80, null)).toBeUndefined();
    expect(goalProblem('increase', 90, null, null)).toBeUndefined();
  });
  it('needs a tolerance for maintain goals and only for them', () => {
    expect(goalProblem('maintain', 70, 70, null)?.field).toBe('tolerance');
    expect(goalProblem('maintain', 70, 70, 2)).toBeUndefined();
    expect(goalProblem('increase', 90, 80, 2)?.field).toBe('tolerance');
  });
});
