// The IPC services in plain Node (common/ipc contract): account lifecycle around the engine,
// conversations, contacts and settings. main/ and the browser harness both serve exactly these.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WispError } from '../../common/errors';
import {
  type AccountStatus,
  KeystoreKind,
  type Preferences,
  type SendTextInput,
  type Settings,
  type WispEvent,
  type WispEventListener,
  type WispServices,
} from '../../common/ipc';
import type { MessageView } from '../../common/engine';
import type { EngineApi, SendOptions } from '../engine';
import { loggerFor } from '../log';
import { createAttachmentService } from './attachmentService';
import { createBackupService } from './backupService';
import { ownAccount } from './accountService';
import { defaultEngineFactory, type EngineFactory } from './engineFactory';
import { buildKeyStore, probeKeychain, probeSafeStorage, type KeyStoreOptions } from './keystores';
import type { PlatformAdapter } from './platform';
import { Notifier } from './notifications';
import { createRoomsService, selfAsName } from './roomsService';
import { PreferencesFile } from './preferences';
import { z } from 'zod';

export interface ServicesOptions {
  /** Holds `profile/` (the engine's encrypted profile), `account.json` and `preferences.json`. */
  readonly dataDir: string;
  readonly platform: PlatformAdapter;
  /** Defaults to core/engine's Engine. */
  readonly engineFactory?: EngineFactory;
  readonly keyStore?: Omit<KeyStoreOptions, 'safeStorage'>;
  /** False reports the OS keychain as off (the harness keeps its throwaway profiles out of it). */
  readonly keychain?: boolean;
}

export interface ServicesHost {
  readonly services: WispServices;
  /** Subscribes to every event for the renderer (engine events and app events). */
  onEvent(listener: WispEventListener): () => void;
  /** A .wisp-backup file the OS asked Wisp to open: the restore may read it without the dialog. */
  allowBackupPath(path: string): void;
  /** Applies stored preferences that matter before any window shows content (content protection). */
  start(): Promise<Preferences>;
  close(): Promise<void>;
}

/** What account.json records: only which key store sealed the profile. Never a key or passphrase. */
const AccountRecord = z.object({ version: z.literal(1), keystore: KeystoreKind });
type AccountRecord = z.infer<typeof AccountRecord>;

const log = loggerFor('services');

export function createServices(options: ServicesOptions): ServicesHost {
  const profileDir = join(options.dataDir, 'profile');
  const accountFile = join(options.dataDir, 'account.json');
  const preferences = new PreferencesFile(join(options.dataDir, 'preferences.json'));
  const keyStoreOptions: KeyStoreOptions = {
    ...options.keyStore,
    ...(options.platform.safeStorage === undefined ? {} : { safeStorage: options.platform.safeStorage }),
  };
  const listeners = new Set<WispEventListener>();
  let engine: EngineApi | null = null;
  let unsubscribeEngine: (() => void) | null = null;
  /** The relay moved this account to a newer device; the profile stays closed until the person acts. */
  let movedAway = false;
  /** Serialises create/unlock/lock so two clicks cannot open the database twice. */
  let accountQueue: Promise<unknown> = Promise.resolve();

  function emit(event: WispEvent): void {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        log.error({ err: error }, 'event listener failed');
      }
    }
  }

  function serially<T>(work: () => Promise<T>): Promise<T> {
    const next = accountQueue.then(work, work);
    accountQueue = next.catch(() => undefined);
    return next;
  }

  const engines: EngineFactory = options.engineFactory ?? defaultEngineFactory;
  const notifier = new Notifier({
    emit,
    sink: options.platform.notifications,
    unreadTotal: async () =>
      engine === null ? 0 : (await engine.conversations()).reduce((n, c) => n + c.unreadCount, 0),
  });

  async function readAccount(): Promise<AccountRecord | null> {
    let raw: string;
    try {
      raw = await readFile(accountFile, 'utf8');
    } catch {
      return null;
    }
    let parsed: ReturnType<typeof AccountRecord.safeParse>;
    try {
      parsed = AccountRecord.safeParse(JSON.parse(raw));
    } catch {
      parsed = { success: false } as ReturnType<typeof AccountRecord.safeParse>;
    }
    if (!parsed.success) {
      throw new WispError('DatabaseCorrupt', 'the account record of this profile is damaged', {
        recovery: 'Restore the profile from an encrypted backup.',
      });
    }
    return parsed.data;
  }

  async function writeAccount(record: AccountRecord): Promise<void> {
    await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
    const temp = `${accountFile}.tmp`;
    await writeFile(temp, JSON.stringify(record), { mode: 0o600 });
    await rename(temp, accountFile);
  }

  async function status(): Promise<AccountStatus> {
    const record = await readAccount();
    if (record === null) return { state: 'none' };
    if (movedAway) return { state: 'moved', keystore: record.keystore };
    if (engine === null) return { state: 'locked', keystore: record.keystore };
    return {
      state: 'unlocked',
      keystore: record.keystore,
      accountId: engine.accountId,
      username: engine.username,
    };
  }

  function attach(opened: EngineApi): void {
    engine = opened;
    movedAway = false;
    unsubscribeEngine = opened.on((event) => {
      emit(event);
      notifier.handle(event);
      // Every later engine call would fail with AccountMoved: close the profile and say so once, as
      // an account state the renderer shows as its own screen instead of a stream of errors.
      if (event.type === 'account.moved' && engine === opened) {
        movedAway = true;
        void serially(async () => {
          if (engine === opened) await closeEngine();
          return announce();
        }).catch((error: unknown) => log.error({ err: error }, 'closing a moved account failed'));
      }
    });
  }

  async function announce(): Promise<AccountStatus> {
    const current = await status();
    emit({ type: 'account.changed', status: current });
    return current;
  }

  async function requireEngine(): Promise<EngineApi> {
    if (engine !== null) return engine;
    if (movedAway) {
      throw new WispError('AccountMoved', 'this account is now active on another device', {
        recovery: 'Use Wisp on the other device, or unlock here again to move the account back.',
      });
    }
    const record = await readAccount();
    throw record === null
      ? new WispError('ProfileNotFound', 'there is no account yet', { recovery: 'Create an account first.' })
      : new WispError('Locked', 'Wisp is locked', { recovery: 'Unlock Wisp first.' });
  }

  /** One message by id, read through the page query around it (the engine has no single-message read). */
  async function findMessage(open: EngineApi, id: string): Promise<MessageView> {
    for (const c of await open.conversations()) {
      let before: string | undefined;
      for (;;) {
        const page = await open.queries.page(c.id, before, 200);
        const found = page.messages.find((m) => m.id === id);
        if (found !== undefined) return found;
        if (!page.hasMore || page.messages.length === 0) break;
        before = page.messages[0]!.id;
      }
    }
    throw new WispError('NotFound', 'that message is no longer here');
  }

  async function currentSettings(): Promise<Settings> {
    const prefs = await preferences.read();
    return { ...prefs, receipts: engine === null ? null : await engine.receiptSettings() };
  }

  /** Settings → Network: the SOCKS5 proxy every relay connection takes from the start (null: direct). */
  async function proxySetting(): Promise<string | null> {
    return (await preferences.read()).proxyUrl;
  }

  async function closeEngine(): Promise<void> {
    notifier.withdrawAll();
    attachments.clear();
    const open = engine;
    engine = null;
    unsubscribeEngine?.();
    unsubscribeEngine = null;
    await open?.close();
  }

  const backups = createBackupService({
    profileDir,
    platform: options.platform,
    emit,
    requireEngine,
    hasAccount: async () => (await readAccount()) !== null,
    buildKeyStore: (kind, passphrase) => buildKeyStore(kind, passphrase, keyStoreOptions),
    async adopt(kind, keystore) {
      await writeAccount({ version: 1, keystore: kind });
      const opened = await engines.open({ profileDir, keystore, proxy: await proxySetting() });
      attach(opened);
      // Connecting moves the account here: the relay closes the old device's connection (4009).
      await opened.connect();
      return announce();
    },
    serially,
  });

  const attachments = createAttachmentService({
    platform: options.platform,
    emit,
    requireEngine,
    // The conversations service's own send (lookup, defaults), given the file as its second argument.
    send: (input, file, onProgress) =>
      (
        services.conversations.sendText as (
          input: SendTextInput,
          attach: Pick<SendOptions, 'file' | 'onProgress'>,
        ) => Promise<MessageView>
      )(input, { file, onProgress }),
    findMessage: async (id) => findMessage(await requireEngine(), id),
  });

  const services: WispServices = {
    app: {
      async info() {
        const keystores = [
          options.keychain === false
            ? { kind: 'keychain' as const, available: false, reason: 'Turned off in the test harness.' }
            : await probeKeychain(options.keyStore?.keychainService),
          probeSafeStorage(options.platform.safeStorage),
          { kind: 'passphrase' as const, available: true },
        ];
        return {
          version: options.platform.version,
          platform: process.platform,
          runtime: options.platform.runtime,
          defaultRelayUrl: options.platform.defaultRelayUrl,
          capabilities: {
            contentProtection: options.platform.contentProtection,
            keystores,
            fileDialogs: options.platform.choosePath !== undefined,
          },
        };
      },
      async openExternal({ url }) {
        // The schema already refused everything but https:; checked again here because this is the
        // last step before the OS hands the URL to another program.
        if (new URL(url).protocol !== 'https:')
          throw new WispError('InvalidInput', 'only https: links can be opened');
        return { opened: await options.platform.openExternal(url) };
      },
    },

    account: {
      status,
      create: (input) =>
        serially(async () => {
          if ((await readAccount()) !== null) {
            throw new WispError('ProfileExists', 'this device already has an account', {
              recovery: 'Unlock the existing account instead.',
            });
          }
          const keystore = buildKeyStore(input.keystore, input.passphrase, keyStoreOptions);
          // A failed attempt (relay unreachable, name taken) leaves nothing behind: Engine.create
          // removes its half-made profile, so the user can simply retry (tested).
          const created = await engines.create({
            profileDir,
            keystore,
            relayUrl: input.relayUrl,
            proxy: await proxySetting(),
            username: input.username,
          });
          await writeAccount({ version: 1, keystore: input.keystore });
          attach(created);
          await created.connect();
          return announce();
        }),
      unlock: (input) =>
        serially(async () => {
          if (engine !== null) return status();
          const record = await readAccount();
          if (record === null) throw new WispError('ProfileNotFound', 'there is no account to unlock');
          const keystore = buildKeyStore(record.keystore, input.passphrase, keyStoreOptions);
          const opened = await engines.open({ profileDir, keystore, proxy: await proxySetting() });
          attach(opened);
          await opened.connect();
          return announce();
        }),
      lock: () =>
        serially(async () => {
          await closeEngine();
          // From the "active on another device" screen, locking is the way back to unlock here.
          movedAway = false;
          return announce();
        }),
      ...ownAccount({
        requireEngine,
        readAccount,
        writeAccount,
        serially,
        announce,
        buildKeyStore: (passphrase) => buildKeyStore('passphrase', passphrase, keyStoreOptions),
        // The engine shredded the profile and closed itself: detach it without closing it again.
        detach: closeEngine,
        dataFiles: [accountFile, join(options.dataDir, 'preferences.json'), profileDir],
      }),
    },

    conversations: {
      list: async () => (await requireEngine()).conversations(),
      // One indexed range read per page (messagesRepo.pageBefore), never the whole conversation.
      messages: async ({ conversationId, before, limit }) =>
        (await requireEngine()).queries.page(conversationId, before, limit),
      async sendText(
        { to, text, expireAfterMs, burnAfterMs, acceptIdentityChange },
        attach: Pick<SendOptions, 'file' | 'onProgress'> = {},
      ) {
        const open = await requireEngine();
        // A room only by its conversation id; a typed name is always a person (issue 9).
        const existing = (await open.conversations()).find(
          (c) => c.id === to || (c.kind === 'direct' && c.title === to),
        );
        // A brand-new conversation has no default of its own yet: the app-wide default applies.
        const defaults = existing ? undefined : (await preferences.read()).defaultTimers;
        const expire = expireAfterMs !== undefined ? expireAfterMs : defaults?.expireAfterMs;
        const burn = burnAfterMs !== undefined ? burnAfterMs : defaults?.burnAfterMs;
        const sendOptions = {
          ...(expire === undefined ? {} : { expireAfterMs: expire }),
          ...(burn === undefined ? {} : { burnAfterMs: burn }),
          ...(acceptIdentityChange === true ? { acceptIdentityChange: true } : {}),
          ...attach,
        };
        return existing?.kind === 'room' && existing.id === to
          ? open.sendToRoom(to, text, sendOptions)
          : open.sendText(to, text, sendOptions);
      },
      markSeen: async ({ messageId }) => (await requireEngine()).markSeen(messageId),
      markSeenMany: async ({ messageIds }) => (await requireEngine()).markSeenMany(messageIds),
      setTimers: async ({ conversationId, timers }) =>
        (await requireEngine()).setConversationTimers(conversationId, timers),
      roomRequests: async () => (await requireEngine()).roomRequests(),
      acceptRoomRequest: async ({ roomId }) => (await requireEngine()).acceptRoomRequest(roomId),
      promoteRoomMember: async ({ roomId, member }) => {
        const open = await requireEngine();
        return open.promoteRoomMember(roomId, selfAsName(open, member));
      },
      demoteRoomMember: async ({ roomId, member }) => {
        const open = await requireEngine();
        return open.demoteRoomMember(roomId, selfAsName(open, member));
      },
      async declineRoomRequest({ roomId }) {
        await (await requireEngine()).declineRoomRequest(roomId);
        return null;
      },
    },

    rooms: createRoomsService(requireEngine),

    contacts: {
      list: async () => (await requireEngine()).contacts(),
      lookup: async ({ username }) => (await requireEngine()).lookup(username),
      safetyNumber: async ({ contact }) => (await requireEngine()).safetyNumber(contact),
      setVerified: async ({ contact, verified }) => (await requireEngine()).setVerified(contact, verified),
    },

    messages: {
      previews: async () => (await requireEngine()).queries.previews(),
      search: async ({ query, limit }) => (await requireEngine()).queries.search(query, limit),
      async deleteForMe({ messageId }) {
        await (await requireEngine()).queries.deleteForMe(messageId);
        return { deleted: true as const };
      },
      async retry({ messageId }) {
        const open = await requireEngine();
        const failed = await findMessage(open, messageId);
        if (!failed.outgoing || failed.state !== 'failed') {
          throw new WispError('InvalidInput', 'only a message that failed to send can be retried');
        }
        const timers = { expireAfterMs: failed.expireAfterMs, burnAfterMs: failed.burnAfterMs };
        // A room is reached only by its id through sendToRoom; a person through sendText (issue 9).
        const conversation = (await open.conversations()).find((c) => c.id === failed.conversationId);
        const sent =
          conversation?.kind === 'room'
            ? await open.sendToRoom(failed.conversationId, failed.text, timers)
            : await open.sendText(failed.conversationId, failed.text, timers);
        await open.queries.deleteForMe(messageId);
        return sent;
      },
    },
    backup: backups.service,
    attachments: attachments.service,

    settings: {
      get: currentSettings,
      async set(patch) {
        const { receipts, ...prefsPatch } = patch;
        if (receipts !== undefined) await (await requireEngine()).setReceiptSettings(receipts);
        const before = await preferences.read();
        // The running engine moves to the new route first (its connections reconnect through it);
        // should it refuse the address (a .onion relay without socks5h), nothing is saved.
        if (prefsPatch.proxyUrl !== undefined && prefsPatch.proxyUrl !== before.proxyUrl) {
          engine?.setProxy(prefsPatch.proxyUrl);
        }
        const next = await preferences.write({ ...before, ...prefsPatch });
        notifier.setMode(next.notifications);
        if (next.contentProtection !== before.contentProtection) {
          options.platform.applyContentProtection(next.contentProtection);
        }
        const settings = await currentSettings();
        emit({ type: 'settings.changed', settings });
        return settings;
      },
    },
  };

  return {
    services,
    allowBackupPath: (path) => backups.allowPath(path),
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async start() {
      const prefs = await preferences.read();
      options.platform.applyContentProtection(prefs.contentProtection);
      notifier.setMode(prefs.notifications);
      return prefs;
    },
    close: () => serially(closeEngine),
  };
}
