// Rooms in the built renderer, through the harness, against the real engine and a real relay, with
// two headless peers (real engines, as the `wisp` CLI runs them): a room of three created in the
// UI, renamed, a member removed (who then receives nothing more), messages both ways with each
// sender named in its own colour; a member who is not an admin sees no admin control and can
// leave; a room named in markup stays text; axe finds no serious or critical violation on the room
// screens in both themes.
import { expect, test, type Locator, type Page } from '@playwright/test';
import type { Engine } from '../../core/engine';
import {
  createPeer,
  startWorld,
  syncUntilText,
  uniqueName,
  type E2eWorld,
} from '../helpers/foundation/harness';
import { createAccountInUi } from '../helpers/foundation/onboarding';
import { seriousViolations } from '../helpers/ui/axe';
import { XSS_CORPUS } from '../helpers/ui/xssCorpus';
import { assignSenderColours, contrastRatio, senderColour } from '../../renderer/lib/senderColours';

let world: E2eWorld;
let peers: Engine[] = [];

test.beforeEach(async () => {
  world = await startWorld();
  peers = [];
});
test.afterEach(async () => {
  for (const p of peers) await p.close();
  await world.stop();
});

/** Two peers who know the app's user (so its rooms reach them as rooms, not requests), and the user. */
async function threePeople(page: Page) {
  const bobName = uniqueName('bob');
  const carolName = uniqueName('carol');
  const bob = await createPeer(world, bobName, 'bob');
  peers.push(bob);
  const carol = await createPeer(world, carolName, 'carol');
  peers.push(carol);
  const alice = uniqueName('alice');
  await createAccountInUi(page, world, alice);
  await bob.lookup(alice);
  await carol.lookup(alice);
  return { alice, bob, bobName, carol, carolName };
}

async function createRoomInUi(page: Page, name: string, members: string[]): Promise<void> {
  await page.getByRole('button', { name: 'New room' }).click();
  const dialog = page.getByRole('dialog', { name: 'New room' });
  await dialog.getByLabel('Room name').fill(name);
  for (const m of members) {
    await dialog.getByLabel('Add by username').fill(m);
    await dialog.getByRole('button', { name: 'Add', exact: true }).click();
  }
  await dialog.getByRole('button', { name: 'Create room' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByRole('heading', { name, level: 2 })).toBeVisible();
}

async function roomIdOf(title: string): Promise<string> {
  const list = await world.harness.host.services.conversations.list();
  const room = list.find((c) => c.kind === 'room' && c.title === title);
  if (room === undefined) throw new Error(`no room ${title}`);
  return room.id;
}

/** The CSS colour of an element (e.g. a sender's name), as the browser computed it. */
function colourOf(element: Locator): Promise<string> {
  return element.evaluate(
    (el) =>
      (globalThis as unknown as { getComputedStyle: (e: unknown) => { color: string } }).getComputedStyle(el)
        .color,
  );
}

function backgroundOf(element: Locator): Promise<string> {
  return element.evaluate(
    (el) =>
      (
        globalThis as unknown as { getComputedStyle: (e: unknown) => { backgroundColor: string } }
      ).getComputedStyle(el).backgroundColor,
  );
}

/** `rgb(r, g, b)` as the browser reports it → #rrggbb. */
function hex(rgbText: string): string {
  const parts = /rgba?\((\d+), (\d+), (\d+)/.exec(rgbText);
  if (!parts) throw new Error(`not an rgb colour: ${rgbText}`);
  return `#${parts
    .slice(1, 4)
    .map((p) => Number(p).toString(16).padStart(2, '0'))
    .join('')}`;
}

function rgb(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return `rgb(${r}, ${g}, ${b})`;
}

test('a room of three is created, renamed and shrunk in the UI; messages go both ways; a removed member receives nothing more', async ({
  page,
}) => {
  const { alice, bob, bobName, carol, carolName } = await threePeople(page);
  await createRoomInUi(page, 'Weekend plans', [bobName, carolName]);
  await expect(page.locator('.room-count')).toHaveText('3 members');
  const roomId = await roomIdOf('Weekend plans');

  // Both peers hold the room, with the app's user as its admin.
  await bob.sync({ waitMs: 300 });
  await carol.sync({ waitMs: 300 });
  for (const peer of [bob, carol]) {
    const room = (await peer.conversations()).find((c) => c.id === roomId);
    expect(room).toMatchObject({ kind: 'room', title: 'Weekend plans', admins: [alice] });
  }

  // Rename from the details panel; the notice row says who did it.
  await page.getByRole('button', { name: 'Room details' }).click();
  const panel = page.getByRole('region', { name: 'Room details' });
  await expect(panel.getByRole('list', { name: 'Members' }).getByRole('listitem')).toHaveCount(3);
  await panel.getByLabel('Room name').fill('Trip to the coast');
  await panel.getByRole('button', { name: 'Rename' }).click();
  await expect(page.getByRole('heading', { name: 'Trip to the coast', level: 2 })).toBeVisible();
  // The details take the place of the messages while open; closing brings the room back.
  await expect(page.getByLabel('Message', { exact: true })).toBeHidden();
  await panel.getByRole('button', { name: 'Close room details' }).click();
  await expect(
    page.locator('.room-notice').filter({ hasText: 'You renamed the room to Trip to the coast' }),
  ).toBeVisible();
  await bob.sync({ waitMs: 300 });
  expect((await bob.conversations()).find((c) => c.id === roomId)?.title).toBe('Trip to the coast');

  // Messages both ways: ours reaches both peers; theirs show their sender's name in its colour.
  await page.getByLabel('Message', { exact: true }).fill('hello room');
  await page.getByRole('button', { name: 'Send' }).click();
  expect((await syncUntilText(bob, 'hello room'))?.conversationId).toBe(roomId);
  expect((await syncUntilText(carol, 'hello room'))?.conversationId).toBe(roomId);
  await bob.sendToRoom(roomId, 'hi from bob');
  await carol.sendToRoom(roomId, 'hi from carol');
  const fromBob = page.locator('.message.incoming').filter({ hasText: 'hi from bob' });
  const fromCarol = page.locator('.message.incoming').filter({ hasText: 'hi from carol' });
  await expect(fromBob.locator('.sender')).toHaveText(bobName);
  await expect(fromCarol.locator('.sender')).toHaveText(carolName);
  // Dark theme: each name in the colour the room assigns its account id, never the same two.
  const colours = assignSenderColours([bob.accountId, carol.accountId]);
  const bobColour = await colourOf(fromBob.locator('.sender'));
  expect(bobColour).toBe(rgb(senderColour(bob.accountId, colours.get(bob.accountId)).dark));
  expect(await colourOf(fromCarol.locator('.sender'))).toBe(
    rgb(senderColour(carol.accountId, colours.get(carol.accountId)).dark),
  );
  expect(await colourOf(fromCarol.locator('.sender'))).not.toBe(bobColour);

  // Remove carol (after a confirmation); everyone's member list shrinks.
  await page.getByRole('button', { name: 'Room details' }).click();
  await panel.getByRole('button', { name: `Remove ${carolName} from the room` }).click();
  const confirm = page.getByRole('alertdialog', { name: `Remove ${carolName}?` });
  await expect(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await confirm.getByRole('button', { name: 'Remove' }).click();
  await expect(page.locator('.room-count')).toHaveText('2 members');
  await expect(panel.getByRole('list', { name: 'Members' }).getByRole('listitem')).toHaveCount(2);
  await panel.getByRole('button', { name: 'Close room details' }).click();
  await expect(page.locator('.room-notice').filter({ hasText: `You removed ${carolName}` })).toBeVisible();

  // After the removal: ours and bob's messages reach the room, and carol receives neither.
  await page.getByLabel('Message', { exact: true }).fill('after carol left');
  await page.getByRole('button', { name: 'Send' }).click();
  expect(await syncUntilText(bob, 'after carol left')).toBeDefined();
  expect((await bob.conversations()).find((c) => c.id === roomId)?.members).toEqual([alice]);
  await bob.sendToRoom(roomId, 'bob, after the removal');
  await expect(page.locator('.message.incoming').filter({ hasText: 'bob, after the removal' })).toBeVisible();
  const carolGot = (await carol.sync({ waitMs: 1_500 })).map((m) => m.text);
  expect(carolGot).not.toContain('after carol left');
  expect(carolGot).not.toContain('bob, after the removal');
  expect((await carol.messages(roomId)).map((m) => m.text)).not.toContain('after carol left');
  expect((await carol.conversations()).find((c) => c.id === roomId)?.left).toBe(true);
});

test('a member who is not an admin sees the members but no admin control, and leaves after a confirmation', async ({
  page,
}) => {
  const { alice, bob, bobName, carol, carolName } = await threePeople(page);
  // Carol knows bob, so his room reaches her as a room. Bob knows carol by her name, which she then
  // gives up: the room lists her by a name the app's user cannot confirm at the relay.
  await carol.lookup(bobName);
  await bob.lookup(carolName);
  await carol.setUsername(null);
  // Bob's room, with the app's user as a plain member; the user knows bob, so it is no request.
  await page.getByPlaceholder('Username to message').fill(bobName);
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByRole('heading', { name: bobName })).toBeVisible();
  const room = await bob.createRoom('Bob’s room', [alice, carolName]);
  await bob.sendToRoom(room.id, 'welcome');
  const row = page.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: /Bob’s room/ });
  await row.click();
  await expect(page.locator('.message.incoming').filter({ hasText: 'welcome' })).toBeVisible();
  await expect(page.locator('.room-notice').first()).toContainText(`${bobName} created the room`);

  await page.getByRole('button', { name: 'Room details' }).click();
  const panel = page.getByRole('region', { name: 'Room details' });
  const members = panel.getByRole('list', { name: 'Members' });
  await expect(members.getByRole('listitem')).toHaveCount(3);
  await expect(members.getByRole('listitem').filter({ hasText: bobName })).toContainText('Admin');
  await expect(members.getByRole('listitem').filter({ hasText: 'You' })).not.toContainText('Admin');
  // No admin control at all: no rename, no timers, no add, no remove, no promote or demote.
  await expect(panel.getByLabel('Room name')).toHaveCount(0);
  await expect(panel.getByLabel('Room messages expire')).toHaveCount(0);
  await expect(panel.getByRole('button', { name: /Remove|admin|Add/ })).toHaveCount(0);

  // Carol leaves: the notice names her as someone we cannot confirm, with the name bob gave, never
  // by her account id (which the engine's sentence holds).
  expect(await syncUntilText(carol, 'welcome')).toBeDefined();
  await carol.leaveRoom(room.id);
  // The details take the messages' place while open (as in Signal): close them to see the notice.
  await panel.getByRole('button', { name: 'Close room details' }).click();
  await expect(page.locator('.room-notice').last()).toHaveText(
    `An unknown member (says “${carolName}”) left`,
  );
  for (const text of await page.locator('.room-notice').allTextContents()) {
    expect(text).not.toContain(carol.accountId);
  }

  await page.getByRole('button', { name: 'Room details' }).click();
  await panel.getByRole('button', { name: 'Leave room' }).click();
  const confirm = page.getByRole('alertdialog', { name: 'Leave “Bob’s room”?' });
  await confirm.getByRole('button', { name: 'Leave room' }).click();
  await expect(page.locator('.room-count')).toHaveText('You left this room');
  await expect(panel.getByRole('button', { name: 'Leave room' })).toHaveCount(0);
  // No composer to send into a room we left, as in Signal: why, in its place.
  await panel.getByRole('button', { name: 'Close room details' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'no longer a member of this room' })).toBeVisible();
  await expect(page.getByLabel('Message', { exact: true })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Send' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Attach a file' })).toHaveCount(0);
  expect(await seriousViolations(page), 'dark: a room we left').toEqual([]);
  await world.harness.host.services.settings.set({ theme: 'light' });
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  expect(await seriousViolations(page), 'light: a room we left').toEqual([]);
  await bob.sync({ waitMs: 300 });
  const bobsView = (await bob.conversations()).find((c) => c.id === room.id);
  // Both left: the app's user (this test) and carol.
  expect(bobsView?.members).toEqual([]);
});

/** Elements no name or message text may ever create (as in uiSafety.spec.ts). */
const ACTIVE =
  'script:not([src]), img, svg:not(.lucide), iframe, details, math, style:not([data-vite-dev-id]), a[href^="javascript"]';

test('a room named in markup by a peer, and the XSS corpus sent to it, stay text in the list, header, notices, bubbles and details', async ({
  page,
}) => {
  const { alice, bob, bobName } = await threePeople(page);
  await page.getByPlaceholder('Username to message').fill(bobName);
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByRole('heading', { name: bobName })).toBeVisible();
  const hostileName = 'xssprobe <img src=x onerror="window.__xss=99"><b>room</b>';
  const room = await bob.createRoom(hostileName, [alice]);
  await bob.renameRoom(room.id, `${hostileName} 2`);
  for (const text of XSS_CORPUS) await bob.sendToRoom(room.id, text);
  const row = page.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: /xssprobe/ });
  await row.click();
  await expect(page.getByRole('heading', { level: 2 })).toHaveText(`${hostileName} 2`);
  await expect(page.locator('.messages .message.incoming .text')).toHaveText([...XSS_CORPUS]);
  await expect(page.locator('.room-notice').last()).toHaveText(
    `${bobName} renamed the room to ${hostileName} 2`,
  );
  await page.getByRole('button', { name: 'Room details' }).click();
  await expect(page.getByRole('region', { name: 'Room details' })).toBeVisible();
  await expect(page.locator('#root').locator(ACTIVE)).toHaveCount(0);
  expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();
  expect(await page.title()).toBe('Wisp');
});

test('axe finds no serious or critical violation on the room screens in both themes', async ({ page }) => {
  const { bob, bobName, carol, carolName } = await threePeople(page);
  await createRoomInUi(page, 'Axe room', [bobName, carolName]);
  const roomId = await roomIdOf('Axe room');
  await bob.sync({ waitMs: 300 });
  await bob.sendToRoom(roomId, 'a message with a sender name');
  await expect(page.locator('.message.incoming .sender')).toHaveText(bobName);
  for (const theme of ['dark', 'light'] as const) {
    await world.harness.host.services.settings.set({ theme });
    await page.goto(world.harness.url);
    await page
      .getByRole('list', { name: 'Conversations' })
      .getByRole('button', { name: /Axe room/ })
      .click();
    await expect(page.locator('.message.incoming .sender')).toHaveText(bobName);
    expect(await seriousViolations(page), `${theme}: room`).toEqual([]);
    // The sender's name as the browser paints it: its palette colour, readable on the bubble.
    const name = await colourOf(page.locator('.message.incoming .sender'));
    const bubble = await backgroundOf(page.locator('.message.incoming'));
    const colours = assignSenderColours([bob.accountId, carol.accountId]);
    expect(name).toBe(rgb(senderColour(bob.accountId, colours.get(bob.accountId))[theme]));
    expect(contrastRatio(hex(name), hex(bubble)), `${theme}: ${name} on ${bubble}`).toBeGreaterThanOrEqual(
      4.5,
    );
    await page.getByRole('button', { name: 'Room details' }).click();
    await expect(page.getByRole('region', { name: 'Room details' })).toBeVisible();
    expect(await seriousViolations(page), `${theme}: room details`).toEqual([]);
    await page.getByRole('button', { name: 'Leave room' }).click();
    await expect(page.getByRole('alertdialog')).toBeVisible();
    expect(await seriousViolations(page), `${theme}: leave confirmation`).toEqual([]);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: 'New room' }).click();
    await page.getByRole('dialog', { name: 'New room' }).getByLabel('Add by username').fill('someone');
    await page
      .getByRole('dialog', { name: 'New room' })
      .getByRole('button', { name: 'Add', exact: true })
      .click();
    expect(await seriousViolations(page), `${theme}: new room`).toEqual([]);
  }
});
