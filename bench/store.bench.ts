// Store benchmarks (issue 4): message ingest and opening a 100,000-message profile to the first
// page of its latest conversation, each against the same code on an unencrypted file in the same run.
// Encrypted and plain runs are interleaved, because the 2 CI cores are shared.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INBOX_BATCH } from '../core/engine/engine';
import { newContentId } from '../core/engine/ids';
import { Store } from '../core/store/store';
import { SYNCHRONOUS_MODE } from '../core/store/database';
import { newDatabaseKey, type DatabaseKey } from '../core/vault/keyStore';
import { PassphraseKeyStore } from '../core/vault/passphraseKeyStore';
import type { NewMessage } from '../core/store/types';
import { resultLine } from './lib';

const root = mkdtempSync(join(tmpdir(), 'wisp-bench-store-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

interface Variant {
  readonly name: 'encrypted' | 'plain';
  readonly dir: string;
  readonly key: DatabaseKey;
}

function variant(name: Variant['name'], label: string): Variant {
  const dir = join(root, `${label}-${name}`);
  mkdirSync(join(dir, 'attachments'), { recursive: true });
  return { name, dir, key: newDatabaseKey() };
}

function open(v: Variant, create = false): Store {
  return Store.open({
    path: join(v.dir, 'wisp.db'),
    key: v.key,
    attachmentsDir: join(v.dir, 'attachments'),
    create,
    unencryptedForBenchmark: v.name === 'plain',
    onSlowQuery: () => {},
  });
}

const median = (values: number[]) => values.slice().sort((a, b) => a - b)[values.length >> 1]!;
const words = 'meet me at the north gate after the rain stops and bring the usual paperwork please'.split(
  ' ',
);
let sequence = 0;

function message(conversationId: string, sentAt: number, id: string): NewMessage {
  sequence++;
  const body = Array.from({ length: 24 }, (_, i) => words[(sequence * 7 + i * 3) % words.length]).join(' ');
  return {
    id,
    conversationId,
    senderId: conversationId,
    outgoing: false,
    kind: 'text',
    body, // ~130 bytes, a typical chat line
    sentAt,
    receivedAt: sentAt,
    expireAfterMs: 86_400_000,
    burnAfterMs: null,
    expiresAt: Date.now() + 86_400_000 * 30,
    state: 'received',
  };
}

const print = resultLine('store');

// 1. Ingest, as the engine commits what it receives (core/engine: receiveBatch). Every message is
//    a duplicate check, the message insert with its conversation update, and the inbox mark that
//    makes processing exactly-once; the marks of the previous commit, whose acknowledgement the
//    relay has confirmed by then, are forgotten in the next one. Synchronous as the app runs it.
//    Content ids are what our senders make (newContentId), envelope ids what the relay makes
//    (random). The store already holds PREFILL messages, so the indexes are the size of a used
//    profile, not of an empty one.
//    - backlog: envelopes waiting (after being offline, or any burst) are committed INBOX_BATCH at
//      a time, exactly as the engine drains its queue. This is the ingest *rate*, and the target.
//    - live: one envelope arriving alone is one commit. Its cost is latency (about half a
//      millisecond), not throughput; printed so the per-commit price of encryption stays visible.
//    The encrypted and plain stores take turns commit by commit, so a burst of load from other
//    processes hits both alike; the slowest 5% of each side's commits are dropped before the rate
//    is computed (they are other processes' noise, not ours).
const PREFILL = 20_000;

function trimmedMean(values: number[], drop = 0.05): number {
  const sorted = values.slice().sort((a, b) => a - b);
  const kept = sorted.slice(0, Math.max(1, Math.floor(sorted.length * (1 - drop))));
  return kept.reduce((sum, v) => sum + v, 0) / kept.length;
}

function prefilled(v: Variant, contentId: () => string): Store {
  const store = open(v, true);
  store.conversations.ensureDirect('peer');
  for (let i = 0; i < PREFILL; i += 500) {
    store.transaction(() => {
      for (let j = 0; j < 500; j++) store.messages.insert(message('peer', Date.now(), contentId()));
    });
  }
  return store;
}

const RELAY_TTL_MS = 30 * 86_400_000;

function receive(store: Store, now: number, contentId: () => string): string {
  const envelopeId = randomUUID();
  if (store.inbox.isProcessed(envelopeId)) return envelopeId;
  store.transaction(() => store.messages.insert(message('peer', now, contentId())));
  store.inbox.markProcessed(envelopeId, now + RELAY_TTL_MS);
  return envelopeId;
}

function ingest(label: string, perTransaction: number, transactions: number, contentId: () => string) {
  const variants = [variant('encrypted', label), variant('plain', label)];
  const stores = new Map(variants.map((v) => [v.name, prefilled(v, contentId)]));
  const latencies: Record<Variant['name'], number[]> = { encrypted: [], plain: [] };
  const acknowledged: Record<Variant['name'], string[]> = { encrypted: [], plain: [] };
  for (let n = 0; n < transactions; n++) {
    const order = n % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      const store = stores.get(v.name)!;
      const start = performance.now();
      store.transaction(() => {
        const now = Date.now();
        store.inbox.forget(acknowledged[v.name]);
        acknowledged[v.name] = [];
        for (let j = 0; j < perTransaction; j++) acknowledged[v.name].push(receive(store, now, contentId));
      });
      latencies[v.name].push(performance.now() - start);
    }
  }
  for (const store of stores.values()) store.close();
  const rate = (name: Variant['name']) => perTransaction / (trimmedMean(latencies[name]) / 1000);
  return { encrypted: rate('encrypted'), plain: rate('plain') };
}

function printIngest(
  metric: string,
  result: { encrypted: number; plain: number },
  target: string,
  pass: boolean | null,
) {
  print({
    metric: `${metric}_synchronous_${SYNCHRONOUS_MODE}`,
    value: Math.round(result.encrypted),
    unit: 'msg/s',
    baseline: Math.round(result.plain),
    ratio: Number((result.encrypted / result.plain).toFixed(2)),
    target,
    pass,
  });
}

const backlog = ingest('backlog', INBOX_BATCH, 200, newContentId);
printIngest(
  `ingest_msgs_per_s_backlog_${INBOX_BATCH}_per_commit`,
  backlog,
  '>=0.8x the unencrypted file',
  backlog.encrypted / backlog.plain >= 0.8,
);

const live = ingest('live', 1, 2000, newContentId);
printIngest(
  'ingest_msgs_per_s_live_commit_each',
  live,
  'informational: one arrival, one commit; HMAC-SHA512 + AES of ~9 pages shows when fsync is cheap',
  null,
);

// What time-ordered content ids buy (the engine used random v4 ids before): the backlog path again.
const randomIds = ingest('backlog-v4', INBOX_BATCH, 200, randomUUID);
printIngest(
  `ingest_msgs_per_s_backlog_${INBOX_BATCH}_per_commit_random_v4_content_ids`,
  randomIds,
  'informational: the same backlog with random content ids',
  null,
);

// 2. Open a 100,000-message profile (50 conversations) and show the first page of the latest one.
const TOTAL = 100_000;
const CONVERSATIONS = 50;
const openVariants = [variant('encrypted', 'open'), variant('plain', 'open')];
for (const v of openVariants) {
  const store = open(v, true);
  for (let c = 0; c < CONVERSATIONS; c++) store.conversations.ensureDirect(`peer-${c}`);
  const base = Date.now() - TOTAL * 1000;
  for (let i = 0; i < TOTAL; i += 1000) {
    store.transaction(() => {
      for (let j = i; j < i + 1000; j++)
        store.messages.insert(message(`peer-${j % CONVERSATIONS}`, base + j * 1000, newContentId()));
    });
  }
  store.close();
}

const openTimes: Record<Variant['name'], number[]> = { encrypted: [], plain: [] };
let firstPage = 0;
for (let round = 0; round < 9; round++) {
  const order = round % 2 === 0 ? openVariants : [...openVariants].reverse();
  for (const v of order) {
    const start = performance.now();
    const store = open(v);
    store.destroyDue(); // start-up destroys overdue messages before anything is shown
    const latest = store.conversations.latest();
    const page = latest ? store.messages.page(latest.id, 50) : [];
    openTimes[v.name].push(performance.now() - start);
    firstPage = page.length;
    store.close();
  }
}
if (firstPage !== 50) throw new Error(`first page had ${firstPage} messages`);
const openEncrypted = median(openTimes.encrypted);
const openPlain = median(openTimes.plain);
print({
  metric: 'open_100k_messages_to_first_page_ms',
  value: Number(openEncrypted.toFixed(1)),
  unit: 'ms',
  baseline: Number(openPlain.toFixed(1)),
  ratio: Number((openEncrypted / openPlain).toFixed(2)),
  target: '<150 ms (database key already unsealed)',
  pass: openEncrypted < 150,
});

// 3. What the passphrase key store adds to an open: one scrypt derivation at the default cost.
const passphrase = new PassphraseKeyStore('benchmark passphrase');
const sealed = await passphrase.seal('bench', newDatabaseKey());
const unsealStart = performance.now();
await passphrase.unseal(sealed);
const unsealMs = performance.now() - unsealStart;
print({
  metric: 'passphrase_unseal_scrypt_N2^17_ms',
  value: Math.round(unsealMs),
  unit: 'ms',
  baseline: null,
  ratio: null,
  target: '>=100 ms (memory-hard; about 0.5 s on an idle core)',
  pass: unsealMs >= 100,
});
