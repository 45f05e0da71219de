// App preferences (theme, content protection, default timers) in a small JSON file beside the
// profile: they must apply before unlock, and none of them is secret. Written atomically.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DEFAULT_PREFERENCES, Preferences } from '../../common/ipc';
import { loggerFor } from '../log';

export class PreferencesFile {
  readonly #path: string;
  #current: Preferences | undefined;

  constructor(path: string) {
    this.#path = path;
  }

  async read(): Promise<Preferences> {
    if (this.#current) return this.#current;
    let raw: string;
    try {
      raw = await readFile(this.#path, 'utf8');
    } catch {
      this.#current = DEFAULT_PREFERENCES;
      return this.#current;
    }
    const parsed = Preferences.safeParse(safeJson(raw));
    if (!parsed.success) {
      // A damaged preferences file must not stop the app; the safe defaults (dark, protected) apply.
      loggerFor('preferences').warn('preferences file unreadable, using defaults');
    }
    this.#current = parsed.success ? parsed.data : DEFAULT_PREFERENCES;
    return this.#current;
  }

  async write(next: Preferences): Promise<Preferences> {
    const valid = Preferences.parse(next);
    await mkdir(dirname(this.#path), { recursive: true, mode: 0o700 });
    const temp = `${this.#path}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(valid, null, 2), { mode: 0o600 });
    await rename(temp, this.#path);
    this.#current = valid;
    return valid;
  }
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
