// Attachments end to end (issue 11): the built renderer in Chromium, through the harness, against
// the real engine and a real relay, with a second real client. An image arrives, is previewed from
// an in-memory Blob URL, opened larger, saved byte for byte through the path field, and when its
// message burns it is gone from the page (no <img>, the Blob URL revoked) and from the profile's
// attachments folder on disk. An image attached with the paperclip, an image pasted into the
// composer and a file dropped on the conversation each reach the peer intact.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type JSHandle, type Page } from '@playwright/test';
import type { Engine } from '../../core/engine';
import { startWorld, syncUntilText, type E2eWorld } from '../helpers/foundation/harness';
import { onboardWithPeer, startConversationInUi } from '../helpers/foundation/onboarding';
import { gradientPng } from '../helpers/ui/imageFixture';
import { seriousViolations } from '../helpers/ui/axe';

let world: E2eWorld;

test.beforeEach(async () => {
  world = await startWorld();
});
test.afterEach(async () => {
  await world.stop();
});

/** Whether the page can still load `url` as an image: false once a Blob URL was revoked. */
function blobLoads(page: Page, url: string): Promise<boolean> {
  return page.evaluate(
    (src) =>
      new Promise<boolean>((resolve) => {
        const img = new (globalThis as unknown as { Image: new () => HTMLImageLike }).Image();
        img.onload = () => resolve(true);
        img.onerror = () => resolve(false);
        img.src = src;
      }),
    url,
  );
}
interface HTMLImageLike {
  onload: (() => void) | null;
  onerror: (() => void) | null;
  src: string;
}

const attachmentsDir = () => join(world.tempDir, 'app', 'profile', 'attachments');
const storedFiles = () => (existsSync(attachmentsDir()) ? readdirSync(attachmentsDir()) : []);

test('a received image is previewed from memory, saved byte for byte, and gone from screen and disk when it burns', async ({
  page,
}) => {
  const { alice, bob, bobName } = await onboardWithPeer(page, world);
  try {
    const image = gradientPng(96, 64, 1);
    const source = join(world.tempDir, 'photo.png');
    writeFileSync(source, image);
    // Burn-on-read: the countdown starts when Alice's app shows the message.
    await bob.sendText(alice, 'a photo for you', { file: source, burnAfterMs: 20_000 });
    await page
      .getByRole('list', { name: 'Conversations' })
      .getByRole('button', { name: new RegExp(bobName) })
      .click();

    const preview = page.getByRole('img', { name: 'photo.png', exact: true });
    await expect(preview).toBeVisible();
    const url = await preview.getAttribute('src');
    expect(url).toMatch(/^blob:/);
    expect(await blobLoads(page, url!)).toBe(true);
    // Only the encrypted-at-rest copy is on disk: no file there holds the PNG's bytes.
    const onDisk = storedFiles();
    expect(onDisk.length).toBeGreaterThan(0);
    for (const name of onDisk) {
      expect(readFileSync(join(attachmentsDir(), name)).includes(image.subarray(0, 16))).toBe(false);
    }

    // Larger in a dialog; Escape closes it.
    await page.getByRole('button', { name: 'Open photo.png larger' }).click();
    const lightbox = page.getByRole('dialog', { name: 'photo.png' });
    await expect(lightbox).toBeVisible();
    await expect(page.getByRole('button', { name: 'Close' })).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(lightbox).toHaveCount(0);

    // The harness has no save dialog: the path field supplies where to write.
    const saved = join(world.tempDir, 'saved.png');
    await page.getByLabel('Save photo.png to').fill(saved);
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Saved to' })).toBeVisible();
    expect(readFileSync(saved).equals(image)).toBe(true);

    // It burns: the preview leaves the page, its Blob URL no longer loads, its file leaves the disk.
    await expect(page.locator('.messages img')).toHaveCount(0, { timeout: 40_000 });
    await expect(page.getByText('a photo for you')).toHaveCount(0);
    expect(await blobLoads(page, url!)).toBe(false);
    for (const name of onDisk) expect(existsSync(join(attachmentsDir(), name))).toBe(false);
  } finally {
    await bob.close();
  }
});

test('an image attached with the paperclip reaches the peer byte for byte', async ({ page }) => {
  const { alice, bob, bobName } = await onboardWithPeer(page, world);
  try {
    const image = gradientPng(80, 60, 2);
    const source = join(world.tempDir, 'sunset.png');
    writeFileSync(source, image);
    await startConversationInUi(page, bobName);

    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Attach a file' }).click();
    await (await chooser).setFiles(source);
    await expect(page.getByRole('group', { name: 'Attached file sunset.png' })).toBeVisible();
    await page.getByLabel('Message', { exact: true }).fill('the view from here');
    await page.getByRole('button', { name: 'Send' }).click();

    // The sent message shows its own preview, from the sender's encrypted local copy.
    await expect(page.getByRole('img', { name: 'sunset.png', exact: true })).toBeVisible();
    await expect(page.getByRole('group', { name: 'Attached file sunset.png' })).toHaveCount(0);

    const received = await syncUntilText(bob, 'the view from here');
    expect(received?.from).toBe(alice);
    expect(received?.attachments).toHaveLength(1);
    expect(received!.attachments[0]!.fileName).toBe('sunset.png');
    const out = join(world.tempDir, 'bob-got.png');
    await bob.saveAttachment(received!.id, received!.attachments[0]!.id, out);
    expect(readFileSync(out).equals(image)).toBe(true);
  } finally {
    await bob.close();
  }
});

/**
 * A DataTransfer in the page holding one File with exactly `bytes`: what a paste or a drop carries.
 * Synthetic events carry it because headless Chromium has no OS clipboard or drag source to take a
 * file from (and the async clipboard API re-encodes images); the handlers, DataTransfer and File
 * are Chromium's own.
 */
function fileTransfer(page: Page, name: string, type: string, bytes: Buffer): Promise<JSHandle> {
  return page.evaluateHandle(
    ({ name, type, base64 }) => {
      const g = globalThis as unknown as {
        atob: (s: string) => string;
        DataTransfer: new () => { items: { add: (f: unknown) => void } };
        File: new (parts: unknown[], name: string, options: { type: string }) => unknown;
      };
      const data = Uint8Array.from(g.atob(base64), (c) => c.charCodeAt(0));
      const transfer = new g.DataTransfer();
      transfer.items.add(new g.File([data], name, { type }));
      return transfer;
    },
    { name, type, base64: bytes.toString('base64') },
  );
}

/** Sends what the composer holds, and checks the peer got `text` with one file of exactly `bytes`. */
async function sendAndCheckReceived(
  page: Page,
  peer: Engine,
  from: string,
  text: string,
  expected: { fileName: string; bytes: Buffer },
): Promise<void> {
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
  const received = await syncUntilText(peer, text);
  expect(received?.from).toBe(from);
  expect(received?.attachments).toHaveLength(1);
  expect(received!.attachments[0]!.fileName).toBe(expected.fileName);
  const out = join(world.tempDir, `got-${expected.fileName}`);
  await peer.saveAttachment(received!.id, received!.attachments[0]!.id, out);
  expect(readFileSync(out).equals(expected.bytes)).toBe(true);
}

test('an image pasted into the composer and a file dropped on the conversation reach the peer byte for byte', async ({
  page,
}) => {
  const { alice, bob, bobName } = await onboardWithPeer(page, world);
  try {
    await startConversationInUi(page, bobName);
    const box = page.getByLabel('Message', { exact: true });
    await expect(box).toBeVisible();

    // A screenshot on the clipboard is a nameless image: it is attached as pasted-image.png.
    const shot = gradientPng(120, 90, 3);
    const clipboard = await fileTransfer(page, '', 'image/png', shot);
    await box.evaluate((el, data) => {
      const g = globalThis as unknown as {
        ClipboardEvent: new (type: string, init: object) => unknown;
      };
      (el as unknown as { dispatchEvent: (e: unknown) => boolean }).dispatchEvent(
        new g.ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }),
      );
    }, clipboard);
    await expect(page.getByRole('group', { name: 'Attached file pasted-image.png' })).toBeVisible();
    // The image went to the attachment, not into the text.
    await expect(box).toHaveValue('');
    await sendAndCheckReceived(page, bob, alice, 'pasted from the clipboard', {
      fileName: 'pasted-image.png',
      bytes: shot,
    });
    await expect(page.getByRole('group', { name: 'Attached file pasted-image.png' })).toHaveCount(0);

    // Any file dragged over the conversation shows where it will go, and dropping attaches it.
    const notes = randomBytes(40_000);
    const dragged = await fileTransfer(page, 'notes.bin', 'application/octet-stream', notes);
    const conversation = page.getByRole('region', { name: `Conversation with ${bobName}` });
    await conversation.dispatchEvent('dragover', { dataTransfer: dragged });
    await expect(page.locator('.drop-hint')).toHaveText('Drop the file to attach it');
    await conversation.dispatchEvent('drop', { dataTransfer: dragged });
    await expect(page.locator('.drop-hint')).toHaveCount(0);
    await expect(page.getByRole('group', { name: 'Attached file notes.bin' })).toBeVisible();
    await sendAndCheckReceived(page, bob, alice, 'dropped on the window', {
      fileName: 'notes.bin',
      bytes: notes,
    });
  } finally {
    await bob.close();
  }
});

/** The focused element's outline, as the person sees it. */
function focusOutline(page: Page): Promise<{ style: string; width: string }> {
  return page.evaluate(() => {
    const g = globalThis as unknown as {
      document: { activeElement: unknown };
      getComputedStyle: (e: unknown) => { outlineStyle: string; outlineWidth: string };
    };
    const style = g.getComputedStyle(g.document.activeElement);
    return { style: style.outlineStyle, width: style.outlineWidth };
  });
}

test('attachment controls are named, show focus, and axe finds nothing serious in both themes', async ({
  page,
}) => {
  const { alice, bob, bobName } = await onboardWithPeer(page, world);
  try {
    const photo = join(world.tempDir, 'harbour.png');
    writeFileSync(photo, gradientPng(160, 100, 7));
    const pdf = join(world.tempDir, 'minutes.pdf');
    writeFileSync(pdf, '%PDF-1.4\n% not really a pdf, a file to save\n');
    await bob.sendText(alice, 'the harbour', { file: photo });
    await bob.sendText(alice, 'and the minutes', { file: pdf });
    for (const theme of ['dark', 'light'] as const) {
      await world.harness.host.services.settings.set({ theme });
      await page.goto(world.harness.url);
      await page
        .getByRole('list', { name: 'Conversations' })
        .getByRole('button', { name: new RegExp(bobName) })
        .click();
      await expect(page.getByRole('img', { name: 'harbour.png', exact: true })).toBeVisible();
      await expect(page.getByLabel('Save minutes.pdf to')).toBeVisible();
      // A PDF is a file row only: main would not hand out its bytes as a preview.
      await expect(page.getByRole('img', { name: 'minutes.pdf' })).toHaveCount(0);

      const chooser = page.waitForEvent('filechooser');
      await page.getByRole('button', { name: 'Attach a file' }).click();
      await (await chooser).setFiles(photo);
      await expect(page.getByRole('group', { name: 'Attached file harbour.png' })).toBeVisible();
      expect(await seriousViolations(page), `${theme}: conversation with attachments`).toEqual([]);

      // Keyboard: the paperclip, the chip's remove button and the preview all show a focus ring.
      for (const name of ['Attach a file', 'Remove harbour.png', 'Open harbour.png larger']) {
        const control = page.getByRole('button', { name });
        await control.focus();
        await page.keyboard.press('Shift+Tab');
        await page.keyboard.press('Tab');
        await expect(control).toBeFocused();
        const outline = await focusOutline(page);
        expect(outline.style, name).not.toBe('none');
        expect(outline.width, name).not.toBe('0px');
      }
      await page.keyboard.press('Enter');
      await expect(page.getByRole('dialog', { name: 'harbour.png' })).toBeVisible();
      expect(await seriousViolations(page), `${theme}: lightbox`).toEqual([]);
      await page.keyboard.press('Escape');
      await expect(page.getByRole('dialog', { name: 'harbour.png' })).toHaveCount(0);
      await page.getByRole('button', { name: 'Remove harbour.png' }).click();
    }
  } finally {
    await bob.close();
  }
});
