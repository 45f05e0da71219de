// Security audit finding 8: the CLI's human output must not let a sender drive the victim's
// terminal. Real peers (CLI profiles on a real relay on port 0) send text, a room name, a file name
// and a member username full of escape sequences and fake lines; the victim's human `sync`,
// `messages`, `conversations` and `contacts` print none of them raw, while --json keeps every byte.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_PASSPHRASE, useCliWorld, wisp, wispHuman } from '../../helpers/engine/cli';
import { openProfile } from '../../../core/profile';
import { keyStoreFor } from '../../../core/vault';

const { world, profile } = useCliWorld(['mallory', 'bob', 'carol']);

/** Clears the screen, retitles the window, returns the carriage and forges a whole line. */
const TEXT =
  'hi\x1b[2J\x1b]0;owned\x07\rX\n[fake] alice: send me your passphrase\u202eevil\u2028tail\u009b31m\x7f';
/** An OSC 8 hyperlink with a hidden target, then a forged line. */
const ROOM = 'room\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\\r\n[fake] alice: room';
const FILE = 'f\x1b[31m\r\n[fake] alice: file\u2066.txt';
/** A modified client can claim any username for a room member (the relay only checks its own). */
const MEMBER_NAME = 'carol\x1b[2J\n[fake] alice: from carol';

/** Control characters a terminal acts on, plus bidi controls and line/paragraph separators. */
const RAW_CONTROL =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/u;
const ISO_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /;

function linesOf(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l.length > 0);
}

describe('wisp human output against a hostile sender', () => {
  it('prints no raw control character and no forged line from remote text, names and file names, and keeps --json byte-identical', async () => {
    // Bob and carol know mallory, so her room is a conversation for them, not a request (issue 9).
    for (const member of ['bob', 'carol']) {
      expect((await wisp(profile(member), ['lookup'], ['--name', 'mallory'])).code).toBe(0);
    }
    const lookedUp = await wisp(profile('mallory'), ['lookup'], ['--name', 'carol']);
    expect(lookedUp.code, lookedUp.stderr).toBe(0);
    const carolId = lookedUp.lines[0]!.accountId as string;
    // Mallory's own client is hers to modify: she labels carol with a crafted name, which her room
    // update then hands to every member.
    const mallorysProfile = await openProfile(
      profile('mallory'),
      keyStoreFor({ kind: 'passphrase', passphrase: CLI_PASSPHRASE }),
    );
    try {
      mallorysProfile.store.contacts.upsert(carolId, MEMBER_NAME);
    } finally {
      mallorysProfile.close();
    }

    const room = await wisp(
      profile('mallory'),
      ['room', 'create'],
      ['--name', ROOM, '--members', `bob,${carolId}`],
    );
    expect(room.code, room.stderr).toBe(0);
    const roomId = room.lines[0]!.id as string;
    const file = join(world().root, FILE);
    writeFileSync(file, 'payload');
    const inRoom = await wisp(
      profile('mallory'),
      ['room', 'send'],
      ['--room', roomId, '--text', TEXT, '--file', file],
    );
    expect(inRoom.code, inRoom.stderr).toBe(0);
    const direct = await wisp(profile('mallory'), ['send'], ['--to', 'bob', '--text', TEXT]);
    expect(direct.code, direct.stderr).toBe(0);
    expect((await wisp(profile('carol'), ['sync'])).code).toBe(0);
    const fromCarol = await wisp(
      profile('carol'),
      ['room', 'send'],
      ['--room', roomId, '--text', 'plain words'],
    );
    expect(fromCarol.code, fromCarol.stderr).toBe(0);

    const synced = await wispHuman(profile('bob'), ['sync']);
    expect(synced.code, synced.stderr).toBe(0);
    const listed = await wispHuman(profile('bob'), ['messages'], ['--with', roomId]);
    expect(listed.code, listed.stderr).toBe(0);
    for (const [output, count] of [
      // Three messages and the room's creation notice, which arrives like a message (issue 11).
      [synced.stdout, 4],
      // Two messages and the room's creation notice (issue 13: membership changes are notices).
      [listed.stdout, 3],
    ] as const) {
      expect(output).not.toMatch(RAW_CONTROL);
      // One line per message, each starting with its timestamp: nothing forged in between.
      const lines = linesOf(output);
      expect(lines).toHaveLength(count);
      for (const line of lines) expect(line).toMatch(ISO_LINE);
    }
    // The hostile parts are still there for the reader, made visible.
    expect(synced.stdout).toContain('hi\\x1b[2J\\x1b]0;owned\\x07\\rX\\n[fake] alice:');
    expect(synced.stdout).toContain('\\u202eevil\\u2028tail\\x9b31m\\x7f');
    expect(synced.stdout).toContain('[file f\\x1b[31m\\r\\n[fake] alice: file\\u2066.txt ');
    // The name mallory's room update gave carol is only an unconfirmed hint (issue 9): carol is named
    // by the username bob's own relay lookup confirmed.
    expect(synced.stdout).toContain(' carol: plain words');
    expect(synced.stdout).not.toContain('[fake] alice: from carol');

    const conversations = await wispHuman(profile('bob'), ['conversations']);
    expect(conversations.code, conversations.stderr).toBe(0);
    expect(conversations.stdout).not.toMatch(RAW_CONTROL);
    const conversationLines = linesOf(conversations.stdout);
    expect(conversationLines).toHaveLength(2);
    for (const line of conversationLines) expect(line).toMatch(/^(room|direct) /);
    const contacts = await wispHuman(profile('bob'), ['contacts']);
    expect(contacts.stdout).not.toMatch(RAW_CONTROL);
    expect(linesOf(contacts.stdout)).toHaveLength(2);

    // --json carries the same values unchanged.
    const json = await wisp(profile('bob'), ['messages'], ['--with', roomId]);
    const fromMallory = json.lines.find((m) => m.text === TEXT)!;
    expect(fromMallory).toBeDefined();
    expect((fromMallory.attachments as { fileName: string }[])[0]!.fileName).toBe(FILE);
    expect(json.lines.find((m) => m.text === 'plain words')!.from).toBe('carol');
    const jsonConversations = await wisp(profile('bob'), ['conversations']);
    expect(jsonConversations.lines.find((c) => c.id === roomId)!.title).toBe(ROOM);
  });
});
