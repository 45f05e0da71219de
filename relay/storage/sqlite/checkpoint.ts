// The SQLite backend's WAL checkpoints, on a second connection in a worker thread, so the WAL
// neither grows without end under steady writes nor keeps old page versions (an acknowledged
// envelope, a released username) once the relay is idle.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';

/**
 * A checkpoint copies WAL pages into the database and fsyncs both, which on the main thread would
 * stall every socket for its duration. PASSIVE never blocks the writer, but under steady writes it
 * never catches up with the end of the WAL either, and SQLite only rewinds a fully checkpointed
 * WAL, so the file would grow without end. Hence two phases: a bulk pass while writes continue,
 * then a short final pass while the main thread holds new commits back (queued, not blocking the
 * event loop); the next commit rewinds the WAL. Plain CommonJS evaluated in the worker, so no
 * TypeScript loader is needed there. After any commit a TRUNCATE pass follows the bulk one within
 * truncateAfterWriteMs, again with commits held: the old page versions the WAL holds (an
 * acknowledged envelope's row, an account's earlier state, a released username) leave the files,
 * and an idle relay's WAL is empty (issue 14).
 */
const CHECKPOINT_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 1000');
parentPort.on('message', (m) => {
  if (m === 'close') { db.close(); parentPort.close(); return; }
  try {
    const r = db.pragma(m === 'truncate' ? 'wal_checkpoint(TRUNCATE)' : 'wal_checkpoint(PASSIVE)')[0];
    parentPort.postMessage({ ok: r.busy === 0, log: r.log, done: r.checkpointed });
  } catch { parentPort.postMessage({ ok: false, log: 0, done: 0 }); }
});
`;
const CHECKPOINT_INTERVAL_MS = 250;
/** WAL frames (4 KiB pages) after a bulk pass that justify holding commits for a final pass and a rewind. */
const REWIND_MIN_FRAMES = 8192;
/**
 * A commit is followed by a TRUNCATE checkpoint at most this much later; commits in between share
 * it, so under steady traffic the WAL is emptied about once per interval, not once per write.
 */
const TRUNCATE_AFTER_WRITE_MS = 1000;
/** Longest the main thread holds commits back for a final pass. */
const MAX_HOLD_MS = 20;
/** After this many final passes in a row that could not finish within MAX_HOLD_MS ... */
const ESCALATE_AFTER = 5;
/** ... the next hold may last this long, so the WAL is rewound even on a slow disk. */
const ESCALATED_HOLD_MS = 1000;

/** WAL checkpoint tuning; the defaults suit production, tests shrink them. */
export interface CheckpointOptions {
  rewindMinFrames?: number;
  walSizeLimitBytes?: number;
  intervalMs?: number;
  /** Longest a commit (an ack, a purge, a send) waits before a TRUNCATE checkpoint empties the WAL. */
  truncateAfterWriteMs?: number;
}

/** What the checkpointer needs of the group commit: holding commits back while a pass runs. */
export interface CommitGate {
  hold(): void;
  release(): void;
  readonly holding: boolean;
}

interface Checkpointed {
  ok: boolean;
  log: number;
  done: number;
}

export class WalCheckpointer {
  /** Counts for tests and diagnostics. */
  readonly stats = { bulkPasses: 0, finalPasses: 0, rewinds: 0, truncates: 0, truncateHoldMs: 0 };
  private readonly worker: Worker;
  private readonly timer: NodeJS.Timeout;
  private readonly rewindMinFrames: number;
  private readonly truncateAfterWriteMs: number;
  private phase: 'idle' | 'bulk' | 'final' | 'truncate' = 'idle';
  private truncateTimer: NodeJS.Timeout | null = null;
  /** Something was written since the last TRUNCATE: the next checkpoint cycle ends with one. */
  private truncateWanted = false;
  private truncateStarted = 0;
  private holdTimer: NodeJS.Timeout | null = null;
  /** Final passes in a row that overran their hold. */
  private overrunFinals = 0;
  private closed = false;

  constructor(
    dataDir: string,
    private readonly gate: CommitGate,
    opts: CheckpointOptions = {},
  ) {
    this.rewindMinFrames = opts.rewindMinFrames ?? REWIND_MIN_FRAMES;
    this.truncateAfterWriteMs = opts.truncateAfterWriteMs ?? TRUNCATE_AFTER_WRITE_MS;
    this.worker = new Worker(CHECKPOINT_WORKER, {
      eval: true,
      workerData: {
        module: createRequire(import.meta.url).resolve('better-sqlite3-multiple-ciphers'),
        path: join(dataDir, 'relay.sqlite'),
      },
    });
    this.worker.on('message', (r: Checkpointed) => this.onCheckpointed(r));
    this.worker.on('error', () => {
      this.phase = 'idle';
      this.release();
    });
    this.timer = setInterval(() => this.start(), opts.intervalMs ?? CHECKPOINT_INTERVAL_MS);
    this.timer.unref();
    this.worker.unref();
  }

  /** After a commit: a TRUNCATE checkpoint within truncateAfterWriteMs (one per interval). */
  afterCommit(): void {
    if (this.truncateTimer || this.closed) return;
    this.truncateTimer = setTimeout(() => {
      this.truncateTimer = null;
      this.truncateWanted = true;
      this.start();
    }, this.truncateAfterWriteMs);
    this.truncateTimer.unref();
  }

  /** Lets go of held commits (closing: the queued writes must commit). */
  release(): void {
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    this.gate.release();
  }

  /** Stops the timers and closes the worker's connection. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    if (this.truncateTimer) clearTimeout(this.truncateTimer);
    const exited = new Promise((r) => this.worker.once('exit', r));
    // Referenced again so the process stays alive until the worker has closed its connection.
    this.worker.ref();
    this.worker.postMessage('close');
    await exited;
  }

  private start(): void {
    if (this.closed || this.phase !== 'idle') return;
    this.phase = 'bulk';
    this.worker.postMessage('checkpoint');
  }

  private onCheckpointed(r: Checkpointed): void {
    if (this.phase === 'truncate') {
      // Busy (a reader outlasted the worker's timeout): the next cycle tries again.
      this.stats.truncateHoldMs += performance.now() - this.truncateStarted;
      if (r.ok) this.stats.truncates++;
      else this.truncateWanted = true;
      if (!this.closed) this.worker.unref();
      this.phase = 'idle';
      this.release();
      return;
    }
    if (this.phase === 'bulk') this.stats.bulkPasses++;
    if (this.phase === 'bulk' && r.ok && this.truncateWanted && !this.closed) {
      // Held until the worker answers (no hold timer): a TRUNCATE that found a writer active
      // would block it, and so the event loop, on the busy handler.
      this.truncateWanted = false;
      this.phase = 'truncate';
      this.gate.hold();
      // Held writes are awaited by someone: keep the process alive until the worker answers.
      this.worker.ref();
      this.truncateStarted = performance.now();
      this.worker.postMessage('truncate');
      return;
    }
    if (this.phase === 'final') {
      this.stats.finalPasses++;
      // Still holding and everything copied: the next commit rewinds the WAL.
      const rewound = this.gate.holding && r.ok && r.log === r.done;
      if (rewound) this.stats.rewinds++;
      this.overrunFinals = rewound ? 0 : this.overrunFinals + 1;
    }
    if (this.phase === 'bulk' && r.ok && r.log >= this.rewindMinFrames && !this.closed) {
      // Only what was committed during the bulk pass is left: hold commits (queued; the event loop
      // runs on) while it is copied. A short hold keeps delivery latency low; if it keeps
      // overrunning, one longer hold makes sure the WAL still gets rewound.
      this.phase = 'final';
      this.gate.hold();
      const hold = this.overrunFinals >= ESCALATE_AFTER ? ESCALATED_HOLD_MS : MAX_HOLD_MS;
      this.holdTimer = setTimeout(() => this.release(), hold);
      this.worker.postMessage('checkpoint');
      return;
    }
    this.phase = 'idle';
    this.release();
  }
}
