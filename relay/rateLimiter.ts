// In-memory token buckets keyed by (class, key), and the client-address key for per-address
// limits. Per node: behind several relay nodes an account gets each budget once per node it is
// connected to, which still bounds abuse by the node count. Nothing here is stored or logged.
import { isIPv6 } from 'node:net';
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

/** The eight 16-bit groups of an IPv6 address (zone id dropped, embedded dotted IPv4 converted). */
function ipv6Groups(address: string): number[] {
  let a = address.split('%')[0]!;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (v4) {
    const [b0, b1, b2, b3] = v4.slice(1).map(Number) as [number, number, number, number];
    a = `${a.slice(0, v4.index)}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const [head, tail] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => parseInt(g, 16));
}

/**
 * The limiter key for a client address: an IPv4 address as it is (also when IPv4-mapped), an IPv6
 * address by its /64, the block one subscriber usually gets, so rotating within it does not
 * escape the limit. Only ever used as an in-memory key: never stored or logged.
 */
export function addressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  return `${ipv6Groups(address)
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}
