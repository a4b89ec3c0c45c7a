/**
 * Goal progress: plain arithmetic on canonical values, in either direction.
 *
 * increase: progress = (current - baseline) / (target - baseline); achieved when current >= target.
 * decrease: progress = (baseline - current) / (baseline - target); achieved when current <= target.
 * Progress is clamped to 0-100 %: moving away from the target shows 0 %, not a negative number.
 * maintain: on track while |current - target| <= tolerance.
 */
export const GOAL_DIRECTIONS = ['increase', 'decrease', 'maintain'] as const;
export type GoalDirection = (typeof GOAL_DIRECTIONS)[number];

export interface GoalSpec {
  direction: GoalDirection;
  target: number;
  baseline: number | null;
  tolerance: number | null;
  /** 'YYYY-MM-DD', the last day of the goal. */
  deadline: string;
}

export type GoalStatus = 'no_data' | 'in_progress' | 'achieved' | 'missed' | 'on_track' | 'off_track';

export interface GoalProgress {
  status: GoalStatus;
  achieved: boolean;
  /** 0-100 for increase/decrease goals with a baseline; null otherwise. */
  progress_percent: number | null;
  /** How far the current value still is from the target (canonical unit, positive = still to go). */
  remaining: number | null;
}

const clamp = (x: number) => Math.min(100, Math.max(0, x));

export function goalProgress(goal: GoalSpec, current: number | null, today: string): GoalProgress {
  const past = today > goal.deadline;
  if (current === null) {
    return { status: past ? 'missed' : 'no_data', achieved: false, progress_percent: null, remaining: null };
  }
  if (goal.direction === 'maintain') {
    const inBand = Math.abs(current - goal.target) <= (goal.tolerance ?? 0);
    const status: GoalStatus = past ? (inBand ? 'achieved' : 'missed') : inBand ? 'on_track' : 'off_track';
    return { status, achieved: inBand && past, progress_percent: null, remaining: null };
  }
  const up = goal.direction === 'increase';
  const achieved = up ? current >= goal.target : current <= goal.target;
  const remaining = achieved ? 0 : Math.abs(goal.target - current);
  let percent: number | null = null;
  if (goal.baseline !== null && goal.baseline !== goal.target) {
    const done = up ? current - goal.baseline : goal.baseline - current;
    const whole = up ? goal.target - goal.baseline : goal.baseline - goal.target;
    percent = Math.round(clamp((done / whole) * 100) * 10) / 10;
  }
  if (achieved) percent = 100;
  const status: GoalStatus = achieved ? 'achieved' : past ? 'missed' : 'in_progress';
  return { status, achieved, progress_percent: percent, remaining };
}

/** Why a goal cannot be set, or undefined when it can. Values are canonical. */
export function goalProblem(
  direction: GoalDirection,
  target: number,
  baseline: number | null,
  tolerance: number | null,
  show: (canonical: number) => string = String,
): { field: string; problem: string } | undefined {
  if (direction === 'maintain') {
    if (tolerance === null) {
      return { field: 'tolerance', problem: 'is required for a maintain goal (the band around the target)' };
    }
    return undefined;
  }
  if (tolerance !== null) return { field: 'tolerance', problem: 'applies only to maintain goals' };
  if (baseline === null) return undefined;
  if (direction === 'increase' && target <= baseline) {
    return {
      field: 'target_value',
      problem: `must be above the baseline ${show(baseline)} for an increase goal (did you mean decrease?)`,
    };
  }
  if (direction === 'decrease' && target >= baseline) {
    return {
      field: 'target_value',
      problem: `must be below the baseline ${show(baseline)} for a decrease goal (did you mean increase?)`,
    };
  }
  return undefined;
}
