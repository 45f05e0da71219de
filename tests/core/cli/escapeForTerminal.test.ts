// The CLI's terminal escaping (cli/output.ts) over every character class it promises to neutralise,
// and over ordinary text it must leave alone.
import { describe, expect, it } from 'vitest';
import { createOutput, escapeForTerminal } from '../../../cli/output';

const UNSAFE_RANGES: [number, number][] = [
  [0x00, 0x1f], // C0
  [0x7f, 0x9f], // DEL and C1
  [0x061c, 0x061c], // Arabic letter mark
  [0x200e, 0x200f], // LRM, RLM
  [0x2028, 0x2029], // line and paragraph separators
  [0x202a, 0x202e], // bidi embeddings and overrides
  [0x2066, 0x2069], // bidi isolates
];

describe('escapeForTerminal', () => {
  it('turns every C0, DEL, C1, bidi control and line/paragraph separator into visible ASCII', () => {
    for (const [from, to] of UNSAFE_RANGES) {
      for (let code = from; code <= to; code++) {
        const escaped = escapeForTerminal(`a${String.fromCharCode(code)}b`);
        expect(escaped, `U+${code.toString(16)}`).toMatch(/^a\\(n|r|t|x[0-9a-f]{2}|u[0-9a-f]{4})b$/);
      }
    }
    expect(escapeForTerminal('\x1b[2J\r\n\t\u009b\u202e')).toBe('\\x1b[2J\\r\\n\\t\\x9b\\u202e');
  });
  it('leaves printable text, accents, emoji, joiners and backslashes unchanged', () => {
    const plain = 'héllo wörld — 日本語 👩‍💻 C:\\path\\x1b «quoted» \u00a0nbsp';
    expect(escapeForTerminal(plain)).toBe(plain);
  });
  it('escapes each human line of a record but writes --json records byte for byte', () => {
    const written: string[] = [];
    const human = createOutput(false, (l) => written.push(l));
    human.record({ a: 1 }, ['first \x1b[31m', 'second\nforged']);
    expect(written).toEqual(['first \\x1b[31m\nsecond\\nforged\n']);
    const lines: string[] = [];
    const json = createOutput(true, (l) => lines.push(l));
    const value = { text: 'x\x1b[2J\u2028y\n' };
    json.record(value, 'ignored');
    expect(lines).toEqual([JSON.stringify(value) + '\n']);
  });
});
