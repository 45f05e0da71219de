// Locks the account after the system has been idle for the user's chosen minutes (PRODUCT.md, App
// lock). The idle source is injected: Electron's powerMonitor in main/, a test clock in tests.
export interface IdleLockOptions {
  /** Seconds since the user last touched the machine. */
  idleSeconds: () => number;
  /** Current setting: minutes of idle before locking, or null for never. */
  minutes: () => Promise<number | null>;
  lock: () => Promise<unknown>;
  /** How often to look; the lock lands at most this late. */
  intervalMs?: number;
}

/** Starts watching; returns the function that stops it. */
export function startIdleLock(options: IdleLockOptions): () => void {
  let lockedForThisIdle = false;
  const check = async () => {
    const minutes = await options.minutes();
    const idle = options.idleSeconds();
    if (minutes === null || idle < minutes * 60) {
      lockedForThisIdle = false;
      return;
    }
    // One lock per idle stretch: after the user unlocks while the OS still counts idle time
    // (e.g. unlock from a remote keyboard), do not lock again straight away.
    if (lockedForThisIdle) return;
    lockedForThisIdle = true;
    await options.lock();
  };
  const timer = setInterval(() => void check().catch(() => undefined), options.intervalMs ?? 30_000);
  return () => clearInterval(timer);
}
