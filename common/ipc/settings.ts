// The `settings` service: theme, content protection, receipts and the default timers for new
// conversations. Receipts live in the encrypted profile, so they are null while locked.
import { z } from 'zod';
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

/** Preferences kept outside the encrypted database: they must apply before unlock. None is secret. */
export const Preferences = z.object({
  theme: Theme,
  contentProtection: z.boolean(),
  defaultTimers: ConversationTimersSchema,
  // Defaulted so a preferences file written before this field existed still reads.
  autoLockMinutes: AutoLockMinutes.default(15),
  notifications: NotificationMode.default('new-message'),
});
export type Preferences = z.infer<typeof Preferences>;

export const DEFAULT_PREFERENCES: Preferences = {
  theme: 'dark',
  // On by default where the OS supports it: screen capture is a leak the user did not choose.
  contentProtection: true,
  defaultTimers: { expireAfterMs: null, burnAfterMs: null },
  autoLockMinutes: 15,
  notifications: 'new-message',
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
