// The transparency endpoint's content: every stored field, and what is deliberately never stored.
// Kept next to the schema (storage/schema.ts); the relay tests check the two agree.
import { PROTOCOL_VERSION, type TransparencyResponse } from '../common/wire';
import type { Totals } from './storage/types';

export const STORED_FIELDS: TransparencyResponse['stored'] = {
  accounts: [
    {
      name: 'id_hash',
      description:
        'HMAC-SHA-256 of the account id under a server secret kept outside the database; the raw id is not stored',
    },
    { name: 'identity_key', description: 'the account identity public key, to verify its signatures' },
    { name: 'registration_id', description: 'libsignal registration id, part of prekey bundles' },
    { name: 'created_on', description: 'creation date, day precision (UTC)' },
    { name: 'messages_received', description: 'counter of envelopes queued for this account' },
  ],
  usernames: [
    { name: 'username', description: 'the optional username, lower case' },
    { name: 'id_hash', description: 'which account holds it' },
    {
      name: 'account_id',
      description: 'the account id, returned by username lookup (published by the user)',
    },
  ],
  prekeys: [
    { name: 'id_hash', description: 'owning account' },
    { name: 'kind', description: 'signed EC, last-resort Kyber, one-time EC or one-time Kyber' },
    { name: 'key_id', description: 'client-chosen key id' },
    { name: 'public_key', description: 'public key' },
    { name: 'signature', description: 'signature by the identity key (empty for one-time EC keys)' },
  ],
  envelopes: [
    { name: 'seq', description: 'internal order of the queue' },
    { name: 'id', description: 'random envelope id, for acknowledgement' },
    { name: 'recipient_hash', description: 'keyed hash of the recipient account id (as id_hash)' },
    {
      name: 'payload',
      description:
        "sealed sender ciphertext (for a multi-recipient send, this recipient's header only); deleted on acknowledgement or expiry",
    },
    { name: 'size', description: 'payload size (with any shared part), for queue caps' },
    {
      name: 'expires_at',
      description: 'deadline after which the envelope is dropped, rounded up to a whole hour',
    },
    {
      name: 'shared_id',
      description:
        'random id of the shared part of a multi-recipient send (the envelopes of one send, which already carried identical ciphertext)',
    },
  ],
  shared_payloads: [
    { name: 'id', description: 'random id' },
    {
      name: 'payload',
      description:
        'the ciphertext every recipient of one multi-recipient send receives, stored once; no recipient, no sender',
    },
    {
      name: 'refs',
      description:
        'envelopes still pointing at it; deleted with the last one (acknowledgement, account deletion)',
    },
    { name: 'expires_at', description: "its envelopes' deadline, rounded up to a whole hour; purged then" },
  ],
  attachments: [
    { name: 'id', description: 'random 256-bit id' },
    { name: 'token_hash', description: 'SHA-256 of the single-use upload token' },
    { name: 'declared_size', description: 'size announced before upload' },
    { name: 'size', description: 'uploaded size' },
    { name: 'state', description: 'pending, uploading or complete' },
    { name: 'expires_at', description: 'deletion deadline, rounded up to a whole hour' },
    {
      name: 'owner_hash',
      description:
        'keyed hash of the uploading account id (as id_hash), for its storage quota; deleted with the attachment; empty (NULL) for an attachment created without identity',
    },
  ],
  account_hash_key: [
    {
      name: 'check_value',
      description:
        'HMAC of a constant under the account-hash key, so a relay given another key refuses to start',
    },
  ],
  legacy_account_hashes: [
    {
      name: 'id_hash',
      description:
        'unkeyed SHA-256 hash of an account created before keyed hashes whose id the relay has not seen since; removed when it is next named',
    },
  ],
  attachment_chunks: [
    { name: 'attachment_id', description: 'owning attachment' },
    { name: 'idx', description: 'chunk order' },
    { name: 'data', description: 'encrypted blob bytes' },
  ],
  spent_tokens: [
    {
      name: 'token_hash',
      description: 'SHA-256 of a spent anonymous-send token (its signed part); no account is stored with it',
    },
    { name: 'expires_at', description: "when the token's key stops being accepted; the row is purged then" },
  ],
  delivery_keys: [
    { name: 'id_hash', description: 'the account that set it' },
    {
      name: 'key_hash',
      description: "SHA-256 of the account's delivery key (never the key), checked on sends without identity",
    },
  ],
  token_keys: [
    { name: 'issue_from', description: 'start of the period a token issuer key signs in' },
    { name: 'issue_until', description: 'end of that period' },
    { name: 'spend_until', description: "until when the key's tokens are accepted; the row is purged then" },
    {
      name: 'sealed_key',
      description: 'the issuer private key, AES-256-GCM under a secret kept in a file outside the database',
    },
  ],
};

export const NEVER_STORED = [
  'the sender of an envelope, or any count of what an account sent',
  'IP addresses (not stored, not logged)',
  'when an envelope was sent, delivered, read or acknowledged (deadlines are whole hours)',
  'message or attachment plaintext',
  'phone numbers, e-mail addresses, passwords',
  'account ids or usernames in logs',
  'any usable signing key: the sealed-sender server key is a file outside the database, the trust root is offline, token issuer keys are there only sealed under a secret file kept outside it',
  'which account an anonymous-send token was issued to (blind signatures; the daily count is in memory only)',
];

export function transparencyReport(totals: Totals): TransparencyResponse {
  return {
    protocolVersion: PROTOCOL_VERSION,
    disclosablePerAccount: ['created_on', 'messages_received'],
    stored: STORED_FIELDS,
    neverStored: NEVER_STORED,
    totals,
  };
}
