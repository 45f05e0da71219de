// The `wisp` commands: each parses its own options, drives the engine and prints through Output.
// Option names follow PRODUCT.md's headless client contract; timers are given in seconds.
import { AsyncLocalStorage } from 'node:async_hooks';
import { resolve } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { WispError } from '../common/errors';
import { secondsToMs } from '../common/timers';
import { Username } from '../common/wire/primitives';
import type { EngineApi, SendOptions } from '../core/engine';
import { backupCommands } from './backupCommands';
import type { Output } from './output';

export type Values = Record<string, string | boolean | undefined>;

export interface CommandSpec {
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: Values, out: Output): Promise<void>;
}

function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

function required(values: Values, name: string): string {
  const v = str(values, name);
  if (v === undefined || v.length === 0) {
    throw new WispError('InvalidInput', `--${name} is required`, {
      recovery: 'Run `wisp --help` for usage.',
    });
  }
  return v;
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** --expire/--burn in seconds; "off" or "0" turns a timer off, absent keeps the default. */
function timer(values: Values, name: string): number | null | undefined {
  const raw = str(values, name);
  if (raw === undefined) return undefined;
  if (raw === 'off' || raw === '0') return null;
  return secondsToMs(raw);
}

function sendOptions(values: Values): SendOptions {
  const options: SendOptions = {};
  const expire = timer(values, 'expire');
  const burn = timer(values, 'burn');
  if (expire !== undefined) options.expireAfterMs = expire;
  if (burn !== undefined) options.burnAfterMs = burn;
  const file = str(values, 'file');
  if (file !== undefined) options.file = resolve(file);
  // Explicit only: a send to someone whose identity changed otherwise fails with IdentityChanged.
  if (values['accept-identity-change'] === true) options.acceptIdentityChange = true;
  return options;
}

function onOff(values: Values, name: string): boolean | undefined {
  const raw = str(values, name);
  if (raw === undefined) return undefined;
  if (raw === 'on' || raw === 'true') return true;
  if (raw === 'off' || raw === 'false') return false;
  throw new WispError('InvalidInput', `--${name} takes on or off`);
}

/** The engine `wisp daemon` holds open; commands run inside runWithHeldEngine use it as is. */
const heldEngine = new AsyncLocalStorage<EngineApi>();

export function runWithHeldEngine<T>(engine: EngineApi, run: () => Promise<T>): Promise<T> {
  return heldEngine.run(engine, run);
}

// The engine (libsignal, SQLCipher) is imported only here, when a command needs it: `wisp --help`
// and argument errors never load a native module.
async function withEngine(values: Values, run: (engine: EngineApi) => Promise<void>): Promise<void> {
  const held = heldEngine.getStore();
  if (held) return run(held);
  const { openEngine } = await import('./engineFor');
  const engine = await openEngine(values);
  try {
    await run(engine);
  } finally {
    await engine.close();
  }
}

const sendFlags = {
  text: { type: 'string' },
  expire: { type: 'string' },
  burn: { type: 'string' },
  file: { type: 'string' },
  'accept-identity-change': { type: 'boolean' },
} as const;

export const commands: Record<string, CommandSpec> = {
  init: {
    options: { relay: { type: 'string' }, username: { type: 'string' } },
    async run(values, out) {
      const username = str(values, 'username');
      const { createEngine } = await import('./engineFor');
      const engine = await createEngine(values, required(values, 'relay'), username);
      try {
        out.record(
          { accountId: engine.accountId, username: engine.username },
          `Created account ${engine.accountId}${engine.username ? ` as ${engine.username}` : ''}.`,
        );
      } finally {
        await engine.close();
      }
    },
  },
  // `--to` is a person (username or account id), never a room: rooms are `room send --room ID`.
  send: {
    options: { to: { type: 'string' }, ...sendFlags },
    async run(values, out) {
      await withEngine(values, async (engine) => {
        const message = await engine.sendText(
          required(values, 'to'),
          str(values, 'text') ?? '',
          sendOptions(values),
        );
        out.message(message);
      });
    },
  },
  sync: {
    options: { wait: { type: 'string' } },
    async run(values, out) {
      const wait = str(values, 'wait');
      const waitMs = wait === undefined ? 0 : (secondsToMs(wait) ?? 0);
      await withEngine(values, async (engine) => {
        // Printed as each message is committed, so a killed sync has already reported what it stored.
        const unsubscribe = engine.on((event) => {
          // Room changes print as they arrive; a timer change shows in `wisp messages` only.
          if (
            event.type === 'message.added' &&
            !event.message.outgoing &&
            event.message.notice?.kind !== 'timersChanged'
          ) {
            out.message(event.message);
          } else if (event.type === 'expired-unread') {
            out.record(
              { expiredUnread: event.count, conversationId: event.conversationId },
              `${event.count} message(s) expired unread.`,
            );
          } else if (event.type === 'room.request') {
            const r = event.request;
            out.record(
              { roomRequest: r.id, name: r.name, from: r.from, fromAccountId: r.fromAccountId },
              `Room invitation from ${r.from} (not a contact): ${r.name} (id=${r.id}). Accept with \`wisp room accept --room ${r.id}\` or decline with \`wisp room decline --room ${r.id}\`.`,
            );
          } else if (event.type === 'identity.changed') {
            out.record(
              { identityChanged: event.contact.username ?? event.contact.accountId },
              `WARNING: the identity key of ${event.contact.username ?? event.contact.accountId} changed. Verify the safety number again.`,
            );
          }
        });
        try {
          // Messages that arrived while an earlier command (send, read) held the connection.
          for (const m of await engine.unreportedMessages()) out.message(m);
          await engine.sync({ waitMs });
        } finally {
          unsubscribe();
        }
      });
    },
  },
  messages: {
    options: { with: { type: 'string' } },
    async run(values, out) {
      await withEngine(values, async (engine) => {
        for (const m of await engine.messages(required(values, 'with'))) out.message(m);
      });
    },
  },
  read: {
    options: { id: { type: 'string' } },
    async run(values, out) {
      await withEngine(values, async (engine) => {
        out.message(await engine.markSeen(required(values, 'id')));
      });
    },
  },
  contacts: {
    options: {},
    async run(values, out) {
      await withEngine(values, async (engine) => {
        for (const c of await engine.contacts()) out.contact(c);
      });
    },
  },
  lookup: {
    options: { name: { type: 'string' } },
    async run(values, out) {
      await withEngine(values, async (engine) => {
        out.contact(await engine.lookup(required(values, 'name')));
      });
    },
  },
  verify: {
    options: { with: { type: 'string' }, mark: { type: 'boolean' }, unmark: { type: 'boolean' } },
    async run(values, out) {
      await withEngine(values, async (engine) => {
        const name = required(values, 'with');
        if (values.mark === true) await engine.setVerified(name, true);
        if (values.unmark === true) await engine.setVerified(name, false);
        out.safetyNumber(await engine.safetyNumber(name));
      });
    },
  },
  timers: {
    options: { with: { type: 'string' }, expire: { type: 'string' }, burn: { type: 'string' } },
    async run(values, out) {
      await withEngine(values, async (engine) => {
        const conversation = required(values, 'with');
        // By id, or a direct conversation by its contact's name: a typed name never means a room.
        const current = (await engine.conversations()).find(
          (c) => c.id === conversation || (c.kind === 'direct' && c.title === conversation),
        );
        const expire = timer(values, 'expire');
        const burn = timer(values, 'burn');
        const view = await engine.setConversationTimers(conversation, {
          expireAfterMs: expire === undefined ? (current?.defaultTimers.expireAfterMs ?? null) : expire,
          burnAfterMs: burn === undefined ? (current?.defaultTimers.burnAfterMs ?? null) : burn,
        });
        out.conversation(view);
      });
    },
  },
  receipts: {
    options: { delivery: { type: 'string' }, read: { type: 'string' } },
    async run(values, out) {
      await withEngine(values, async (engine) => {
        const delivery = onOff(values, 'delivery');
        const read = onOff(values, 'read');
        const settings = await engine.setReceiptSettings({
          ...(delivery === undefined ? {} : { deliveryReceipts: delivery }),
          ...(read === undefined ? {} : { readReceipts: read }),
        });
        out.record(
          settings,
          `delivery receipts ${settings.deliveryReceipts ? 'on' : 'off'}, read receipts ${settings.readReceipts ? 'on' : 'off'}`,
        );
      });
    },
  },
  conversations: {
    options: {},
    async run(values, out) {
      await withEngine(values, async (engine) => {
        for (const c of await engine.conversations()) out.conversation(c);
      });
    },
  },
  'room create': {
    options: { name: { type: 'string' }, members: { type: 'string' } },
    async run(values, out) {
      await withEngine(values, async (engine) => {
        out.conversation(
          await engine.createRoom(required(values, 'name'), list(str(values, 'members') ?? '')),
        );
      });
    },
  },
  'room add': {
    options: { room: { type: 'string' }, members: { type: 'string' } },
    async run(values, out) {
      await withEngine(values, async (engine) => {
        out.conversation(
          await engine.addRoomMembers(required(values, 'room'), list(required(values, 'members'))),
        );
      });
    },
  },
  'room remove': {
    options: { room: { type: 'string' }, member: { type: 'string' } },
    async run(values, out) {
      await withEngine(values, async (engine) => {
        out.conversation(await engine.removeRoomMember(required(values, 'room'), required(values, 'member')));
      });
    },
  },
  'room rename': {
    options: { room: { type: 'string' }, name: { type: 'string' } },
    async run(values, out) {
      await withEngine(values, async (engine) => {
        out.conversation(await engine.renameRoom(required(values, 'room'), required(values, 'name')));
      });
    },
  },
  'room promote': {
    options: { room: { type: 'string' }, member: { type: 'string' } },
    async run(values, out) {
      await withEngine(values, async (engine) => {
        out.conversation(
          await engine.promoteRoomMember(required(values, 'room'), required(values, 'member')),
        );
      });
    },
  },
  'room demote': {
    options: { room: { type: 'string' }, member: { type: 'string' } },
    async run(values, out) {
      await withEngine(values, async (engine) => {
        out.conversation(await engine.demoteRoomMember(required(values, 'room'), required(values, 'member')));
      });
    },
  },
  'room leave': {
    options: { room: { type: 'string' } },
    async run(values, out) {
      await withEngine(values, async (engine) => {
        const room = required(values, 'room');
        await engine.leaveRoom(room);
        out.record({ left: room }, `Left room ${room}.`);
      });
    },
  },
  'room send': {
    options: { room: { type: 'string' }, ...sendFlags },
    async run(values, out) {
      await withEngine(values, async (engine) => {
        const message = await engine.sendToRoom(
          required(values, 'room'),
          str(values, 'text') ?? '',
          sendOptions(values),
        );
        out.message(message);
      });
    },
  },
  'room list': {
    options: {},
    async run(values, out) {
      await withEngine(values, async (engine) => {
        for (const c of await engine.conversations()) if (c.kind === 'room') out.conversation(c);
      });
    },
  },
  'room requests': {
    options: {},
    async run(values, out) {
      await withEngine(values, async (engine) => {
        for (const r of await engine.roomRequests()) {
          const hint = r.fromNameHint === null ? '' : ` (says "${r.fromNameHint}", unconfirmed)`;
          out.record(
            r,
            `request: room ${r.name} (id=${r.id}) from ${r.from}${hint}; members: ${r.members.join(', ')}`,
          );
        }
      });
    },
  },
  'room accept': {
    options: { room: { type: 'string' } },
    async run(values, out) {
      await withEngine(values, async (engine) => {
        out.conversation(await engine.acceptRoomRequest(required(values, 'room')));
      });
    },
  },
  'room decline': {
    options: { room: { type: 'string' } },
    async run(values, out) {
      await withEngine(values, async (engine) => {
        const room = required(values, 'room');
        await engine.declineRoomRequest(room);
        out.record({ declined: room }, `Declined room ${room}.`);
      });
    },
  },
  'attachment save': {
    options: { id: { type: 'string' }, attachment: { type: 'string' }, out: { type: 'string' } },
    async run(values, out) {
      await withEngine(values, async (engine) => {
        const path = resolve(required(values, 'out'));
        await engine.saveAttachment(required(values, 'id'), required(values, 'attachment'), path);
        out.record({ saved: path }, `Saved to ${path}`);
      });
    },
  },
  // The name others find this account by (PRODUCT.md: changeable, case-insensitive). Checked here
  // first, so a name the relay would refuse never opens the profile; the relay checks it again.
  'username set': {
    options: { name: { type: 'string' } },
    async run(values, out) {
      const wanted = Username.safeParse(required(values, 'name'));
      if (!wanted.success) {
        throw new WispError('InvalidInput', 'a username is 3–32 letters, digits, dots or underscores', {
          recovery: 'Pick another name, e.g. `wisp username set --name ada_l`.',
        });
      }
      await withEngine(values, async (engine) => {
        await engine.setUsername(wanted.data);
        out.record(
          { accountId: engine.accountId, username: engine.username },
          `Your username is now ${engine.username}. Your contacts keep reaching you; new people find you by this name.`,
        );
      });
    },
  },
  'username release': {
    options: {},
    async run(values, out) {
      await withEngine(values, async (engine) => {
        await engine.setUsername(null);
        out.record(
          { accountId: engine.accountId, username: null },
          'Released your username: anyone may take it now. Your contacts keep reaching you by your account.',
        );
      });
    },
  },
  // Irreversible, so it asks for --yes instead of a prompt (scripts and the daemon have no terminal).
  'account delete': {
    options: { yes: { type: 'boolean' } },
    async run(values, out) {
      if (values.yes !== true) {
        throw new WispError('InvalidInput', 'deleting the account needs --yes', {
          recovery:
            'This unregisters the account at the relay and erases this profile for good: run `wisp account delete --yes`.',
        });
      }
      if (heldEngine.getStore()) {
        throw new WispError('InvalidInput', 'the daemon cannot delete the account it holds open', {
          recovery: 'Stop the daemon, then run `wisp account delete --yes`.',
        });
      }
      const { openEngine, profileDirOf } = await import('./engineFor');
      const engine = await openEngine(values);
      const { accountId } = engine;
      try {
        await engine.deleteAccount();
      } finally {
        await engine.close();
      }
      out.record(
        { deleted: accountId, profile: profileDirOf(values) },
        `Deleted account ${accountId} at the relay and erased the profile ${profileDirOf(values)}.`,
      );
    },
  },
  daemon: {
    options: { socket: { type: 'string' } },
    async run(values) {
      const { runDaemon } = await import('./daemon');
      const socket = str(values, 'socket');
      await runDaemon(values, socket === undefined ? {} : { socket });
    },
  },
  ...backupCommands,
};
