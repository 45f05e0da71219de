// The encrypted store: open a profile database and use its typed repositories.
export { Store, openStore, type OpenStoreOptions, type DestroyReason } from './store';
export { sql, type SqlQuery, type SqlValue } from './sql';
export {
  ReadableDb,
  WritableDb,
  SLOW_QUERY_MS,
  SYNCHRONOUS_MODE,
  type SlowQuery,
  type SlowQueryLogger,
} from './database';
export { migrate, schemaVersion } from './migrate';
export { migrations } from './migrations/index';
export type { PageCursor } from './repos/messagesRepo';
export type { IdentitySaveResult } from './repos/contactsRepo';
export type { ConversationTimers } from './repos/conversationsRepo';
export type { NewOutboxItem } from './repos/outboxRepo';
export * from './types';
