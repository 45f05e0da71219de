// The `app` service: what this build is and what the machine under it can do, so the UI can state
// capabilities honestly (content protection is unavailable on Linux; which keystores work here).
import { z } from 'zod';
import { method, noInput, type ServiceInterface } from './contract';

export const KeystoreKind = z.enum(['keychain', 'safeStorage', 'passphrase']);
export type KeystoreKind = z.infer<typeof KeystoreKind>;

export const KeystoreCapability = z.object({
  kind: KeystoreKind,
  available: z.boolean(),
  /** Why it is unavailable, phrased for a person; absent when available. */
  reason: z.string().optional(),
});
export type KeystoreCapability = z.infer<typeof KeystoreCapability>;

export const AppInfo = z.object({
  version: z.string(),
  /** process.platform of the machine running the engine. */
  platform: z.string(),
  /** `electron` in the desktop app, `harness` in the browser test harness. */
  runtime: z.enum(['electron', 'harness']),
  /** The relay the onboarding form suggests (the embedded local relay when one runs); null if none. */
  defaultRelayUrl: z.string().nullable(),
  capabilities: z.object({
    /** Electron content protection works on Windows and macOS only. */
    contentProtection: z.object({ available: z.boolean(), reason: z.string().optional() }),
    keystores: z.array(KeystoreCapability),
    /** A native dialog chooses backup files (the desktop app); otherwise their path is typed. */
    fileDialogs: z.boolean(),
  }),
});
export type AppInfo = z.infer<typeof AppInfo>;

/** Only https links leave the app; the scheme is checked again in main before opening. */
export const ExternalUrl = z
  .string()
  .max(2048)
  .refine((raw) => {
    try {
      return new URL(raw).protocol === 'https:';
    } catch {
      return false;
    }
  }, 'only https: links can be opened');

export const appSpec = {
  info: method(noInput, AppInfo),
  openExternal: method(z.object({ url: ExternalUrl }), z.object({ opened: z.boolean() })),
};

export type AppService = ServiceInterface<typeof appSpec>;
