/**
 * Deterministic test input: a day of minute-level heart rate shaped like a wrist sensor's (lower at
 * night, higher by day, integer beats per minute, small minute-to-minute changes). Inputs for tests and
 * measurements only; nothing the service returns is made up.
 */
export function heartRateDay(dayStartMs: number, seed: number): { timestamp: string; value: number }[] {
  let state = (seed * 2654435761 + 1) >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const out: { timestamp: string; value: number }[] = [];
  let drift = 0;
  for (let minute = 0; minute < 1440; minute += 1) {
    const hour = minute / 60;
    const base = hour < 6 ? 56 : hour < 8 ? 64 : hour < 22 ? 74 : 62;
    drift = Math.max(-12, Math.min(25, drift + (next() - 0.5) * 3));
    const value = Math.round(base + drift + (next() - 0.5) * 4);
    out.push({ timestamp: new Date(dayStartMs + minute * 60_000).toISOString(), value });
  }
  return out;
}
