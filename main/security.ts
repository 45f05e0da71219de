// The hardening policies of the app, as plain functions main/index.ts wires into Electron:
// the CSP, which permissions may be granted, where navigation may go, which links may leave.
import { ExternalUrl } from '../common/ipc';
import { originOf } from './ipcHandlers';

export { CONTENT_SECURITY_POLICY } from './csp';

/**
 * Notifications, and writing (never reading) the clipboard: the Copy button of a backup's recovery
 * key. Camera, geolocation, clipboard reads etc. are denied.
 */
export function isPermissionAllowed(permission: string): boolean {
  return permission === 'notifications' || permission === 'clipboard-sanitized-write';
}

/** https: URLs only, parsed (not prefix-matched), so `javascript:`, `file:` or `https:@evil` tricks fail. */
export function isSafeExternalUrl(url: string): boolean {
  return ExternalUrl.safeParse(url).success;
}

/** The single-page app never navigates; a reload of its own entry point is the one exception. */
export function isAllowedNavigation(url: string, appOrigin: string): boolean {
  return originOf(url) === appOrigin;
}
