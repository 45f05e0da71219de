// What the OS asks the app to open — a `wisp://add?username=…` link or a `.wisp-backup` file, from
// the command line, a second instance, or macOS's open-url/open-file — parsed strictly into typed
// events for the renderer (common/ipc/events.ts). Anything else is dropped, never echoed to a log.
import { statSync } from 'node:fs';
import { extname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Username, type OpenEvent } from '../common/ipc';

export const LINK_PROTOCOL = 'wisp:';
export const BACKUP_EXTENSION = '.wisp-backup';
/** Links are short by construction; anything longer is not one of ours. */
const MAX_LINK_LENGTH = 256;
const MAX_PATH_LENGTH = 4096;

/**
 * `wisp://add?username=alice` → an add-contact request, or null. Strict: that host only, no
 * credentials, port, fragment or other parameters, and a username the contract accepts as is
 * (no trimming: a link that needs repair is not trusted). The username is only a label to look up;
 * the renderer shows who it resolves to before anything is added.
 */
export function parseWispLink(raw: string): OpenEvent | null {
  if (raw.length > MAX_LINK_LENGTH || !raw.startsWith(`${LINK_PROTOCOL}//`)) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== LINK_PROTOCOL || url.host !== 'add') return null;
  if (url.username !== '' || url.password !== '' || url.port !== '' || url.hash !== '') return null;
  if (url.pathname !== '' && url.pathname !== '/') return null;
  const keys = [...url.searchParams.keys()];
  if (keys.length !== 1 || keys[0] !== 'username') return null;
  const username = url.searchParams.get('username') ?? '';
  const checked = Username.safeParse(username);
  if (!checked.success || checked.data !== username) return null;
  return { type: 'open.addContact', username };
}

/** True for an existing regular file (symlinks followed); the only kind of backup we open. */
function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * A `.wisp-backup` file to import → an open-backup request with its absolute path, or null.
 * Accepts a path (relative ones resolve against `cwd`, the launching shell's folder) or a file://
 * URL, as desktop environments pass either for `%U`.
 */
export function parseBackupPath(raw: string, cwd: string, isFile = isRegularFile): OpenEvent | null {
  if (raw.length === 0 || raw.length > MAX_PATH_LENGTH || raw.includes('\0')) return null;
  let path: string;
  if (raw.startsWith('file:')) {
    try {
      path = fileURLToPath(raw);
    } catch {
      return null;
    }
  } else {
    path = isAbsolute(raw) ? raw : resolve(cwd, raw);
  }
  if (extname(path).toLowerCase() !== BACKUP_EXTENSION || !isFile(path)) return null;
  return { type: 'open.backupFile', path };
}

/**
 * The open requests in a command line (the first launch's process.argv, or a second instance's).
 * Switches are skipped; the executable and the app folder never match a link or a backup file.
 */
export function openRequestsFromArgv(
  argv: readonly string[],
  cwd: string,
  isFile = isRegularFile,
): OpenEvent[] {
  const requests: OpenEvent[] = [];
  for (const arg of argv.slice(1)) {
    if (arg.startsWith('-')) continue;
    const request = arg.startsWith(LINK_PROTOCOL) ? parseWispLink(arg) : parseBackupPath(arg, cwd, isFile);
    if (request !== null) requests.push(request);
  }
  return requests;
}

/**
 * Holds open requests until a window can take them (the OS may hand one over before the app is
 * ready), then passes each on at once. Bounded: a flood of links cannot grow memory.
 */
export class OpenRequestQueue {
  static readonly LIMIT = 16;
  #held: OpenEvent[] = [];
  #deliver: ((event: OpenEvent) => void) | null = null;

  push(event: OpenEvent): void {
    if (this.#deliver !== null) this.#deliver(event);
    else if (this.#held.length < OpenRequestQueue.LIMIT) this.#held.push(event);
  }

  /** From now on requests go to `deliver`; those held so far go first, in order. */
  attach(deliver: (event: OpenEvent) => void): void {
    this.#deliver = deliver;
    const held = this.#held;
    this.#held = [];
    for (const event of held) deliver(event);
  }
}
