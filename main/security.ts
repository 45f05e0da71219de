// The hardening policies of the app, as plain functions main/index.ts wires into Electron:
// the CSP, which permissions may be granted, where navigation may go, which links may leave.
import { ExternalUrl } from '../common/ipc';
import { originOf } from './ipcHandlers';

export { CONTENT_SECURITY_POLICY } from './csp';

/** Notifications are the only permission Wisp's page ever needs; camera, geolocation etc. are denied. */
export function isPermissionAllowed(permission: string): boolean {
  return permission === 'notifications';
}

/** https: URLs only, parsed (not prefix-matched), so `javascript:`, `file:` or `https:@evil` tricks fail. */
export function isSafeExternalUrl(url: string): boolean {
  return ExternalUrl.safeParse(url).success;
}

/** The single-page app never navigates; a reload of its own entry point is the one exception. */
export function isAllowedNavigation(url: string, appOrigin: string): boolean {
  return originOf(url) === appOrigin;
}
