// The ordered list of schema migrations. Append only: a new migration gets the next number, its own
// file and ONE line here (and its own test under tests/core/store/migrations/).
import type { Migration } from './types';
import { m001Core } from './001_core';
import { m002Signal } from './002_signal';
import { m003Search } from './003_search';
import { m004InboxOutbox } from './004_inbox_outbox';
import { m005InboxMarks } from './005_inbox_marks';
import { m006ProtocolRecords } from './006_protocol_records';
import { m007UnreportedMessages } from './007_unreported_messages';
import { m008IdentityNames } from './008_identity_names';
import { m009SendTokens } from './009_send_tokens';

export type { Migration } from './types';

export const migrations: readonly Migration[] = [
  m001Core,
  m002Signal,
  m003Search,
  m004InboxOutbox,
  m005InboxMarks,
  m006ProtocolRecords,
  m007UnreportedMessages,
  m008IdentityNames,
  m009SendTokens,
];
