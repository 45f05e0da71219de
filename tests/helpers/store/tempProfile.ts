// Test helpers for the store: temporary folders, a fast passphrase key store, and stores opened on
// real SQLCipher files with a key the test knows.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newDatabaseKey, type DatabaseKey } from '../../../core/vault/keyStore';
import { Store, type OpenStoreOptions } from '../../../core/store/store';
import type { KeyStoreChoice } from '../../../core/vault/index';

/** The scrypt floor: the app uses 2^17, tests use the smallest accepted cost so they stay fast. */
export const FAST_SCRYPT = { N: 2 ** 14, r: 8, p: 1 } as const;

export function passphraseChoice(passphrase = 'correct horse battery staple'): KeyStoreChoice {
  return { kind: 'passphrase', passphrase, scrypt: FAST_SCRYPT };
}

/** A fresh temp folder and a cleanup for afterEach/afterAll. */
export function tempDir(prefix = 'wisp-store-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestStore {
  readonly store: Store;
  readonly key: DatabaseKey;
  readonly dir: string;
  readonly path: string;
  readonly attachmentsDir: string;
  reopen(overrides?: Partial<OpenStoreOptions>): Store;
  cleanup(): void;
}

/** A real encrypted store in a temp folder, with its key exposed for forensic checks. */
export function openTestStore(options: Partial<OpenStoreOptions> = {}): TestStore {
  const { dir, cleanup } = tempDir();
  const path = join(dir, 'wisp.db');
  const attachmentsDir = join(dir, 'attachments');
  mkdirSync(attachmentsDir);
  const key = newDatabaseKey();
  const base = { path, key, attachmentsDir, onSlowQuery: () => {}, ...options };
  let store = Store.open({ ...base, create: true });
  return {
    get store() {
      return store;
    },
    key,
    dir,
    path,
    attachmentsDir,
    reopen(overrides = {}) {
      if (store.isOpen) store.close();
      store = Store.open({ ...base, ...overrides });
      return store;
    },
    cleanup() {
      if (store.isOpen) store.close();
      cleanup();
    },
  };
}

let counter = 0;

/** A message for conversation `conversationId` with sensible defaults. */
export function incomingMessage(
  conversationId: string,
  overrides: Partial<Parameters<Store['messages']['insert']>[0]> = {},
) {
  counter++;
  const now = Date.now();
  return {
    id: `msg-${counter}-${now}`,
    conversationId,
    senderId: conversationId,
    outgoing: false,
    kind: 'text' as const,
    body: `message ${counter}`,
    sentAt: now + counter,
    receivedAt: now + counter,
    expireAfterMs: null,
    burnAfterMs: null,
    expiresAt: null,
    state: 'received' as const,
    ...overrides,
  };
}
