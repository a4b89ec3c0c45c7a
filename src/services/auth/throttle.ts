import type { Cache } from '../../platform/cache/cache.js';
import { tooManyRequests } from '../../platform/http/errors.js';

/**
 * Brute-force protection for sign-in, in three layers (OWASP Authentication Cheat Sheet):
 * - per account and client address: after 5 failures, exponential backoff up to 15 minutes;
 * - per account from anywhere: after 10 failures, backoff capped at 60 seconds, so an attacker
 *   spreading guesses across addresses slows them down but can never lock the owner out for long;
 * - per client address: 50 failures in 15 minutes blocks that address for 15 minutes.
 * A successful sign-in clears the account's counters.
 */
export const THROTTLE = {
  accountIp: { freeFailures: 5, maxBackoffSeconds: 900 },
  account: { freeFailures: 10, maxBackoffSeconds: 60 },
  ip: { maxFailures: 50, windowSeconds: 900 },
  counterTtlSeconds: 3600,
} as const;

export class LoginThrottle {
  constructor(
    private readonly cache: Cache,
    private readonly now: () => number = Date.now,
  ) {}

  private keys(email: string, ip: string) {
    return {
      accountIp: `login:fail:acct-ip:${email}|${ip}`,
      account: `login:fail:acct:${email}`,
      ip: `login:fail:ip:${ip}`,
      blockAccountIp: `login:block:acct-ip:${email}|${ip}`,
      blockAccount: `login:block:acct:${email}`,
      blockIp: `login:block:ip:${ip}`,
    };
  }

  /** Throws 429 with Retry-After while any layer is blocking this attempt. */
  async check(email: string, ip: string): Promise<void> {
    const k = this.keys(email, ip);
    const blocks = await Promise.all(
      [k.blockAccountIp, k.blockAccount, k.blockIp].map((key) => this.cache.get(key)),
    );
    const until = Math.max(0, ...blocks.map((v) => (v === undefined ? 0 : Number(v))));
    const wait = Math.ceil((until - this.now()) / 1000);
    if (wait > 0) {
      throw tooManyRequests(`Too many failed sign-in attempts; try again in ${wait} seconds`, wait);
    }
  }

  async recordFailure(email: string, ip: string): Promise<void> {
    const k = this.keys(email, ip);
    const [accountIp, account, ipCount] = await Promise.all([
      this.cache.increment(k.accountIp, THROTTLE.counterTtlSeconds),
      this.cache.increment(k.account, THROTTLE.counterTtlSeconds),
      this.cache.increment(k.ip, THROTTLE.ip.windowSeconds),
    ]);
    const block = async (key: string, seconds: number) => {
      await this.cache.set(key, String(this.now() + seconds * 1000), seconds);
    };
    if (accountIp >= THROTTLE.accountIp.freeFailures) {
      await block(
        k.blockAccountIp,
        backoff(accountIp - THROTTLE.accountIp.freeFailures, THROTTLE.accountIp.maxBackoffSeconds),
      );
    }
    if (account >= THROTTLE.account.freeFailures) {
      await block(
        k.blockAccount,
        backoff(account - THROTTLE.account.freeFailures, THROTTLE.account.maxBackoffSeconds),
      );
    }
    if (ipCount >= THROTTLE.ip.maxFailures) await block(k.blockIp, THROTTLE.ip.windowSeconds);
  }

  async recordSuccess(email: string, ip: string): Promise<void> {
    const k = this.keys(email, ip);
    await Promise.all(
      [k.accountIp, k.account, k.blockAccountIp, k.blockAccount].map((key) => this.cache.del(key)),
    );
  }
}

/** 1, 2, 4, 8 ... seconds, capped. */
export function backoff(step: number, capSeconds: number): number {
  return Math.min(2 ** Math.min(step, 30), capSeconds);
}
