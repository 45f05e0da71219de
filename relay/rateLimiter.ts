// In-memory token buckets keyed by (class, key). Per node: behind several relay nodes an account
// gets each budget once per node it is connected to, which still bounds abuse by the node count.
import type { RateSpec } from './config';

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private sweepAt = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Takes `cost` tokens; returns 0 if allowed, else the ms to wait before it would be. With
   * `chargeDenied`, refused attempts still cost tokens (the bucket goes into debt), so a client
   * that ignores the refusals sees its wait grow instead of staying at one refill interval.
   */
  take(key: string, spec: RateSpec, cost = 1, chargeDenied = false): number {
    const now = this.now();
    this.sweep(now);
    const bucket = this.buckets.get(key) ?? { tokens: spec.burst, at: now };
    bucket.tokens = Math.min(spec.burst, bucket.tokens + ((now - bucket.at) / 1000) * spec.perSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return 0;
    }
    const wait =
      spec.perSecond <= 0
        ? Number.MAX_SAFE_INTEGER
        : Math.ceil(((cost - bucket.tokens) / spec.perSecond) * 1000);
    if (chargeDenied) bucket.tokens -= cost;
    return wait;
  }

  /** Drops idle buckets now and then so keys of departed clients do not pile up. */
  private sweep(now: number): void {
    if (now < this.sweepAt) return;
    this.sweepAt = now + 60_000;
    for (const [key, bucket] of this.buckets) if (now - bucket.at > 10 * 60_000) this.buckets.delete(key);
  }
}
