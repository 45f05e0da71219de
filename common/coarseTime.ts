// Deadlines sent to the relay are coarsened to whole hours, so a stored deadline dates neither a
// send nor a read (a receipt is sent at the moment of reading) to better than an hour. Issue 14;
// docs/PROTOCOL.md, "What the relay stores". Pure: no clock.

export const DEADLINE_GRAIN_MS = 60 * 60 * 1000;

/** `ms` rounded up to the next whole hour (unchanged when it already is one). */
export function coarseDeadline(ms: number): number {
  return Math.ceil(ms / DEADLINE_GRAIN_MS) * DEADLINE_GRAIN_MS;
}
