// The whole IPC contract: every service spec by name, the interfaces handlers implement, the bridge
// shape the preload and the harness expose as `window.wisp`, and channel lookup for dispatchers.
import { accountSpec } from './account';
import { appSpec } from './app';
import { attachmentsSpec } from './attachments';
import { backupSpec } from './backup';
import { contactsSpec } from './contacts';
import {
  channelOf,
  type BridgeInterface,
  type MethodSpec,
  type ServiceImplementation,
  type ServiceInterface,
  type ServiceSpec,
} from './contract';
import { conversationsSpec } from './conversations';
import { messagesSpec } from './messages';
import { roomsSpec } from './rooms';
import type { WispEventListener } from './events';
import { settingsSpec } from './settings';

export * from './contract';
export * from './views';
export * from './app';
export * from './account';
export * from './conversations';
export * from './contacts';
export * from './settings';
export * from './backup';
export * from './events';
export * from './messages';
export * from './attachments';
export * from './rooms';

export const wispSpec = {
  app: appSpec,
  account: accountSpec,
  conversations: conversationsSpec,
  contacts: contactsSpec,
  settings: settingsSpec,
  backup: backupSpec,
  messages: messagesSpec,
  attachments: attachmentsSpec,
  rooms: roomsSpec,
} as const satisfies Record<string, ServiceSpec>;

export type WispSpec = typeof wispSpec;
export type ServiceName = keyof WispSpec;

/** What core/services implements: plain async methods on validated input that throw WispError. */
export type WispServices = { [S in ServiceName]: ServiceImplementation<WispSpec[S]> };

/** `window.wisp`: named functions returning wrapped results, plus the event subscription. */
export type WispBridge = { [S in ServiceName]: BridgeInterface<WispSpec[S]> } & {
  /** Subscribes to main→renderer events; returns the unsubscribe function. */
  onEvent(listener: WispEventListener): () => void;
};

/** What renderer code uses: the service interfaces (throwing WispError) and events. */
export type WispClient = { [S in ServiceName]: ServiceInterface<WispSpec[S]> } & {
  onEvent(listener: WispEventListener): () => void;
};

export interface ChannelEntry {
  readonly channel: string;
  readonly service: ServiceName;
  readonly method: string;
  readonly spec: MethodSpec;
}

/** Every channel of the contract, derived from the specs (never written by hand). */
export const channels: readonly ChannelEntry[] = Object.entries(wispSpec).flatMap(([service, spec]) =>
  Object.entries(spec as ServiceSpec).map(([name, methodSpec]) => ({
    channel: channelOf(service, name),
    service: service as ServiceName,
    method: name,
    spec: methodSpec,
  })),
);

const byChannel = new Map(channels.map((entry) => [entry.channel, entry]));

export function channelEntry(channel: string): ChannelEntry | undefined {
  return byChannel.get(channel);
}
