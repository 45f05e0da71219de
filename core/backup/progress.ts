// Progress of an export or import: bytes (of the age file) and records so far, reported at most
// every MiB or 500 records so a 1 GB backup does not flood the CLI or the IPC channel.

export interface BackupProgress {
  readonly phase: 'export' | 'import';
  /** Bytes of the age file written (export) or read (import) so far. */
  readonly bytes: number;
  /** Expected size where known: the import file's size, or the attachments to export. */
  readonly totalBytes: number | null;
  readonly records: number;
  readonly done: boolean;
}

const BYTES_STEP = 1 << 20;
const RECORDS_STEP = 500;

export class ProgressMeter {
  #bytes = 0;
  #records = 0;
  #lastBytes = -BYTES_STEP;
  #lastRecords = -RECORDS_STEP;
  readonly #phase: BackupProgress['phase'];
  readonly #onProgress: ((progress: BackupProgress) => void) | undefined;
  readonly #total: number | null;

  constructor(
    phase: BackupProgress['phase'],
    onProgress: ((progress: BackupProgress) => void) | undefined,
    totalBytes: number | null,
  ) {
    this.#phase = phase;
    this.#onProgress = onProgress;
    this.#total = totalBytes;
  }

  get totalBytes(): number {
    return this.#bytes;
  }

  get records(): number {
    return this.#records;
  }

  bytes(n: number): void {
    this.#bytes += n;
    if (this.#bytes - this.#lastBytes >= BYTES_STEP) this.#emit(false);
  }

  record(): void {
    this.#records++;
    if (this.#records - this.#lastRecords >= RECORDS_STEP) this.#emit(false);
  }

  done(): void {
    this.#emit(true);
  }

  #emit(done: boolean): void {
    this.#lastBytes = this.#bytes;
    this.#lastRecords = this.#records;
    this.#onProgress?.({
      phase: this.#phase,
      bytes: this.#bytes,
      totalBytes: this.#total,
      records: this.#records,
      done,
    });
  }
}
