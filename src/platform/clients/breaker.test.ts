import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './breaker.js';

/** A breaker with a clock the test moves by hand. */
function breakerWithClock(threshold = 3, coolDownMs = 1000) {
  let now = 1_000_000;
  const breaker = new CircuitBreaker(threshold, coolDownMs, () => now);
  return {
    breaker,
    advance(ms: number) {
      now += ms;
    },
  };
}

function failTimes(breaker: CircuitBreaker, n: number) {
  for (let i = 0; i < n; i += 1) breaker.failure();
}

describe('CircuitBreaker', () => {
  it('starts closed and lets calls through', () => {
    const { breaker } = breakerWithClock();
    expect(breaker.state).toBe('closed');
    expect(breaker.allow()).toBe(true);
    expect(breaker.allow()).toBe(true);
  });

  it('defaults to 5 failures and a 10 s cool-down', () => {
    const breaker = new CircuitBreaker();
    expect(breaker.threshold).toBe(5);
    expect(breaker.coolDownMs).toBe(10_000);
    failTimes(breaker, 4);
    expect(breaker.state).toBe('closed');
    breaker.failure();
    expect(breaker.state).toBe('open');
  });

  it('stays closed below the threshold', () => {
    const { breaker } = breakerWithClock(3);
    failTimes(breaker, 2);
    expect(breaker.state).toBe('closed');
    expect(breaker.allow()).toBe(true);
  });

  it('opens after `threshold` failures in a row and then fails fast', () => {
    const { breaker, advance } = breakerWithClock(3, 1000);
    failTimes(breaker, 3);
    expect(breaker.state).toBe('open');
    expect(breaker.allow()).toBe(false);
    advance(999);
    expect(breaker.state).toBe('open');
    expect(breaker.allow()).toBe(false);
  });

  it('counts only failures in a row: a success resets the count', () => {
    const { breaker } = breakerWithClock(3);
    failTimes(breaker, 2);
    breaker.success();
    failTimes(breaker, 2);
    expect(breaker.state).toBe('closed');
    breaker.failure();
    expect(breaker.state).toBe('open');
  });

  it('turns half-open after the cool-down and lets exactly one trial through', () => {
    const { breaker, advance } = breakerWithClock(3, 1000);
    failTimes(breaker, 3);
    advance(1000);
    expect(breaker.state).toBe('half-open');
    expect(breaker.allow()).toBe(true); // the trial
    expect(breaker.allow()).toBe(false); // others wait for its outcome
    expect(breaker.allow()).toBe(false);
    expect(breaker.state).toBe('half-open');
  });

  it('closes again when the trial succeeds', () => {
    const { breaker, advance } = breakerWithClock(3, 1000);
    failTimes(breaker, 3);
    advance(1500);
    expect(breaker.allow()).toBe(true);
    breaker.success();
    expect(breaker.state).toBe('closed');
    expect(breaker.allow()).toBe(true);
    expect(breaker.allow()).toBe(true);
    // The failure count starts again from zero.
    failTimes(breaker, 2);
    expect(breaker.state).toBe('closed');
  });

  it('opens again for a full cool-down when the trial fails', () => {
    const { breaker, advance } = breakerWithClock(3, 1000);
    failTimes(breaker, 3);
    advance(1000);
    expect(breaker.allow()).toBe(true);
    breaker.failure();
    expect(breaker.state).toBe('open');
    expect(breaker.allow()).toBe(false);
    advance(999);
    expect(breaker.allow()).toBe(false);
    advance(1);
    expect(breaker.state).toBe('half-open');
    expect(breaker.allow()).toBe(true); // a new single trial
    expect(breaker.allow()).toBe(false);
    breaker.success();
    expect(breaker.state).toBe('closed');
  });

  it('restarts the cool-down when a call that was already out fails while open', () => {
    const { breaker, advance } = breakerWithClock(3, 1000);
    failTimes(breaker, 3);
    advance(800);
    breaker.failure(); // a slow call started before the breaker opened
    advance(500);
    expect(breaker.state).toBe('open');
    advance(500);
    expect(breaker.state).toBe('half-open');
  });

  it('with a threshold of 1 opens on the first failure', () => {
    const { breaker } = breakerWithClock(1, 50);
    breaker.failure();
    expect(breaker.state).toBe('open');
  });
});
