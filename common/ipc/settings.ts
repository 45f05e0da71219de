// The `settings` service: theme, content protection, receipts and the default timers for new
// conversations, and the SOCKS5 proxy every relay connection takes (Settings → Network). Receipts
// live in the encrypted profile, so they are null while locked.
import { z } from 'zod';
import { MAX_PROXY_URL_CHARS, parseProxyUrl } from '../proxyUrl';
import { method, noInput, type ServiceInterface } from './contract';
import { ConversationTimersSchema, ReceiptSettingsSchema } from './views';

export const Theme = z.enum(['dark', 'light', 'system']);
export type Theme = z.infer<typeof Theme>;

/**
 * What a notification of a new message says: nothing at all, "New message" (the default: a
 * notification is seen by whoever is near the screen), the sender, or the sender and the text.
 */
export const NotificationMode = z.enum(['off', 'new-message', 'sender', 'sender-and-text']);
export type NotificationMode = z.infer<typeof NotificationMode>;

/** Minutes of system idle time before Wisp locks itself; null = never on idle. */
export const AutoLockMinutes = z.number().int().min(1).max(1440).nullable();

/**
 * socks5h://HOST:PORT (or socks5://, optional user:password@): every relay connection goes through
 * it, registration and attachments included; null is a direct connection. Checked by the same
 * parser as the CLI's --proxy, so the message says what is wrong.
 */
export const ProxyUrlSetting = z
  .string()
  .max(MAX_PROXY_URL_CHARS)
  .superRefine((text, ctx) => {
    const parsed = parseProxyUrl(text);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.problem });
  })
  .nullable();

/** Preferences kept outside the encrypted database: they must apply before unlock. None is secret. */
export const Preferences = z.object({
  theme: Theme,
  contentProtection: z.boolean(),
  defaultTimers: ConversationTimersSchema,
  // Defaulted so a preferences file written before this field existed still reads.
  autoLockMinutes: AutoLockMinutes.default(15),
  notifications: NotificationMode.default('new-message'),
  // Outside the database because it must apply before unlock: to the first connection after it.
  proxyUrl: ProxyUrlSetting.default(null),
});
export type Preferences = z.infer<typeof Preferences>;

export const DEFAULT_PREFERENCES: Preferences = {
  theme: 'dark',
  // On by default where the OS supports it: screen capture is a leak the user did not choose.
  contentProtection: true,
  defaultTimers: { expireAfterMs: null, burnAfterMs: null },
  autoLockMinutes: 15,
  notifications: 'new-message',
  proxyUrl: null,
};

export const Settings = Preferences.extend({ receipts: ReceiptSettingsSchema.nullable() });
export type Settings = z.infer<typeof Settings>;

export const SettingsPatch = z
  .object({
    theme: Theme,
    contentProtection: z.boolean(),
    defaultTimers: ConversationTimersSchema,
    autoLockMinutes: AutoLockMinutes,
    notifications: NotificationMode,
    proxyUrl: ProxyUrlSetting,
    receipts: ReceiptSettingsSchema.partial(),
  })
  .partial()
  .strict();
export type SettingsPatch = z.infer<typeof SettingsPatch>;

export const settingsSpec = {
  get: method(noInput, Settings),
  set: method(SettingsPatch, Settings),
};

export type SettingsService = ServiceInterface<typeof settingsSpec>;
