// IPC services in plain Node: what main/ registers and the browser harness serves.
export { createServices, type ServicesHost, type ServicesOptions } from './wispServices';
export { createDispatcher, describeIssues, type Dispatcher } from './dispatch';
export { contentProtectionSupport, type NotificationSink, type PlatformAdapter } from './platform';
export { Notifier, notificationFor } from './notifications';
export type { EngineFactory } from './engineFactory';
export type { KeyStoreOptions } from './keystores';
export { startIdleLock, type IdleLockOptions } from './idleLock';
