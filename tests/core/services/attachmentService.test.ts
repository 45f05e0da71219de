// The attachments service over a real relay, a real engine behind core/services and a real peer:
// staging is strict (order, announced size, completeness, a cap on uploads waiting), a preview is
// given only for bytes that are an image or video (a sender's claim of image/png on an SVG with
// script is refused), saving goes where the dialog said and nowhere a page names, and both ways
// report progress.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isWispError } from '../../../common/errors';
import type { MessageView } from '../../../common/engine';
import type { WispEvent } from '../../../common/ipc';
import type { Engine } from '../../../core/engine';
import { MAX_STAGED_UPLOADS } from '../../../core/services/attachmentService';
import { createServices, type ServicesHost } from '../../../core/services';
import { createWorld, type TestWorld } from '../../helpers/engine/fixtures';
import { gradientPng } from '../../helpers/ui/imageFixture';
import { testPlatform } from '../../unit/foundation/platform';

let world: TestWorld;
let host: ServicesHost;
let bob: Engine;
let events: WispEvent[];
const dialogAnswers: (string | null)[] = [];

async function start(withDialog: boolean): Promise<void> {
  host = createServices({
    dataDir: join(world.root, 'app'),
    platform: {
      ...testPlatform(),
      ...(withDialog ? { chooseSavePath: async () => dialogAnswers.shift() ?? null } : {}),
    },
    keychain: false,
    keyStore: { scrypt: { N: 2 ** 14, r: 8, p: 1 } },
  });
  events = [];
  host.onEvent((e) => events.push(e));
  await host.start();
  await host.services.account.create({
    username: 'alice',
    relayUrl: world.relayUrl,
    keystore: 'passphrase',
    passphrase: 'alice passphrase 1',
  });
}

/** Bob sends Alice a file; returns Alice's copy of the message once her engine has it. */
async function fromBob(name: string, bytes: Uint8Array, text = name) {
  const path = join(world.root, name);
  writeFileSync(path, bytes);
  await bob.sendText('alice', text, { file: path });
  for (let i = 0; i < 80; i++) {
    const list = await host.services.conversations.list();
    const c = list.find((x) => x.title === 'bob');
    if (c !== undefined) {
      const page = await host.services.conversations.messages({ conversationId: c.id, limit: 50 });
      const m = page.messages.find((x) => x.text === text);
      if (m !== undefined) return m;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} never arrived`);
}

async function expectKind(promise: Promise<unknown>, kind: Parameters<typeof isWispError>[1]) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isWispError(error, kind)).toBe(true);
}

beforeEach(async () => {
  world = await createWorld();
  bob = await world.create('bob');
});
afterEach(async () => {
  await host?.close();
  await world.close();
});

describe('attachments service', () => {
  it('stages in order only; more bytes than announced void the upload; an incomplete one cannot be sent', async () => {
    await start(false);
    const a = host.services.attachments;
    const { uploadId } = await a.stage({ fileName: 'a.bin', size: 6 });
    await expectKind(a.stageChunk({ uploadId, offset: 3, data: 'AAAA' }), 'InvalidInput');
    expect(await a.stageChunk({ uploadId, offset: 0, data: 'AAAA' })).toEqual({ received: 3 });
    await expectKind(a.send({ to: 'bob', text: '', uploadId }), 'InvalidInput');
    // 3 + 6 > 6: the whole upload is dropped, not only the chunk.
    await expectKind(a.stageChunk({ uploadId, offset: 3, data: 'AAAAAAAA' }), 'InvalidInput');
    await expectKind(a.stageChunk({ uploadId, offset: 3, data: 'AAAA' }), 'NotFound');
  });

  it('holds at most a few staged uploads at once, and lock drops them all', async () => {
    await start(false);
    const a = host.services.attachments;
    const ids: string[] = [];
    for (let i = 0; i < MAX_STAGED_UPLOADS; i++)
      ids.push((await a.stage({ fileName: `f${i}`, size: 1 })).uploadId);
    await expectKind(a.stage({ fileName: 'one more', size: 1 }), 'RelayQueueFull');
    expect(await a.discard({ uploadId: ids[0]! })).toEqual({ discarded: true });
    await a.stage({ fileName: 'now fits', size: 1 });
    await host.services.account.lock();
    await host.services.account.unlock({ passphrase: 'alice passphrase 1' });
    await expectKind(a.stageChunk({ uploadId: ids[1]!, offset: 0, data: 'AA==' }), 'NotFound');
  });

  it('sends staged bytes that the peer receives intact, with upload progress ending in done', async () => {
    await start(false);
    await host.services.contacts.lookup({ username: 'bob' });
    const image = gradientPng(300, 200, 3);
    const a = host.services.attachments;
    const { uploadId } = await a.stage({ fileName: 'photo.png', size: image.length });
    for (let offset = 0; offset < image.length; offset += 4096) {
      const data = image.subarray(offset, offset + 4096).toString('base64');
      await a.stageChunk({ uploadId, offset, data });
    }
    const sent = await a.send({ to: 'bob', text: '', uploadId, burnAfterMs: 60_000 });
    expect(sent.attachments).toMatchObject([{ fileName: 'photo.png', size: image.length }]);
    const progress = events.flatMap((e) => (e.type === 'attachment.progress' ? [e.progress] : []));
    expect(progress.at(-1)).toMatchObject({ id: uploadId, direction: 'upload', done: true });
    expect(progress.some((p) => !p.done && p.bytes > 0)).toBe(true);
    // Sent: the upload id is spent.
    await expectKind(a.send({ to: 'bob', text: '', uploadId }), 'NotFound');

    let got: MessageView | undefined;
    for (let i = 0; i < 20 && got === undefined; i++)
      got = (await bob.sync({ waitMs: 300 })).find((m) => m.id === sent.id);
    expect(got?.burnAfterMs).toBe(60_000);
    const out = join(world.root, 'bob-got.png');
    await bob.saveAttachment(got!.id, got!.attachments[0]!.id, out);
    expect(readFileSync(out).equals(image)).toBe(true);
  });

  it('previews an image from its bytes, and refuses an SVG with script that claims to be image/png', async () => {
    await start(false);
    const image = gradientPng(40, 30, 4);
    const photo = await fromBob('photo.png', image);
    const preview = await host.services.attachments.preview({
      messageId: photo.id,
      attachmentId: photo.attachments[0]!.id,
    });
    expect(preview.mime).toBe('image/png');
    expect(Buffer.from(preview.data, 'base64').equals(image)).toBe(true);
    expect(events.some((e) => e.type === 'attachment.progress' && e.progress.direction === 'download')).toBe(
      true,
    );

    // The attack: the sender names the file .png (so the pointer says image/png) but sends SVG.
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"/>');
    const evil = await fromBob('evil.png', svg);
    expect(evil.attachments[0]!.contentType).toBe('image/png');
    await expectKind(
      host.services.attachments.preview({ messageId: evil.id, attachmentId: evil.attachments[0]!.id }),
      'InvalidInput',
    );
  });

  it('a preview and a save at once share one download, and both get the whole file', async () => {
    await start(false);
    const image = gradientPng(400, 300, 8);
    const m = await fromBob('photo.png', image);
    const ref = { messageId: m.id, attachmentId: m.attachments[0]!.id };
    const path = join(world.root, 'both.png');
    const [preview, saved] = await Promise.all([
      host.services.attachments.preview(ref),
      host.services.attachments.save({ ...ref, path }),
    ]);
    expect(Buffer.from(preview.data, 'base64').equals(image)).toBe(true);
    expect(saved).toEqual({ path });
    expect(readFileSync(path).equals(image)).toBe(true);
    expect(readdirSync(join(world.root, 'app', 'profile', 'attachments'))).toHaveLength(1);
    // One download: its progress only ever grows (a second one would start again from the bottom).
    const bytes = events.flatMap((e) =>
      e.type === 'attachment.progress' && e.progress.direction === 'download' && !e.progress.done
        ? [e.progress.bytes]
        : [],
    );
    expect(bytes.length).toBeGreaterThan(1);
    expect(bytes).toEqual([...bytes].sort((x, y) => x - y));
    expect(new Set(bytes).size).toBe(bytes.length);
  });

  it('with a save dialog saves only where it said, refuses a path from the page, and a closed dialog saves nothing', async () => {
    await start(true);
    const image = gradientPng(20, 20, 5);
    const m = await fromBob('photo.png', image);
    const ref = { messageId: m.id, attachmentId: m.attachments[0]!.id };
    const pagePath = join(world.root, 'page-chose.png');
    await expectKind(host.services.attachments.save({ ...ref, path: pagePath }), 'InvalidInput');
    dialogAnswers.push(null);
    expect(await host.services.attachments.save(ref)).toEqual({ path: null });
    const chosen = join(world.root, 'dialog-chose.png');
    dialogAnswers.push(chosen);
    expect(await host.services.attachments.save(ref)).toEqual({ path: chosen });
    expect(readFileSync(chosen).equals(image)).toBe(true);
  });

  it('without a dialog (the harness) saves to the path given, and needs one', async () => {
    await start(false);
    const image = gradientPng(20, 20, 6);
    const m = await fromBob('photo.png', image);
    const ref = { messageId: m.id, attachmentId: m.attachments[0]!.id };
    await expectKind(host.services.attachments.save(ref), 'InvalidInput');
    const path = join(world.root, 'typed.png');
    expect(await host.services.attachments.save({ ...ref, path })).toEqual({ path });
    expect(readFileSync(path).equals(image)).toBe(true);
    // Another message's attachment id under this message id is not found.
    await expectKind(
      host.services.attachments.save({ messageId: 'nope', attachmentId: ref.attachmentId, path }),
      'NotFound',
    );
  });
});
