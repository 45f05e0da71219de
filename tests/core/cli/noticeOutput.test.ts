// `wisp messages` and `wisp sync` print a notice in the app's own words (common/notices.ts): the
// sentence names who made the change, so no "from:" before it, never an account id, and a name a
// peer chose is escaped for the terminal like any remote text.
import { describe, expect, it } from 'vitest';
import { createOutput } from '../../../cli/output';
import { noticeMessage, noticeParty } from '../../helpers/renderer/render';

const ME = '11111111-1111-4111-8111-111111111111';
const CAROL = '33333333-3333-4333-8333-333333333333';

describe('CLI notice lines', () => {
  it('prints the shared sentence, escaped, with no sender prefix and no account id; --json keeps the record', () => {
    const message = noticeMessage(
      {
        kind: 'memberRemoved',
        actor: noticeParty(ME, { username: 'me', isSelf: true }),
        subject: noticeParty(CAROL, { nameHint: 'carol\u001b[2J' }),
      },
      { id: 'n1', text: 'DECOY' },
    );
    const human: string[] = [];
    createOutput(false, (l) => human.push(l)).message(message);
    expect(human).toHaveLength(1);
    expect(human[0]).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z \* You removed an unknown member \(says “carol\\x1b\[2J”\) {2}\(id=n1\)\n$/,
    );
    expect(human[0]).not.toContain(CAROL);
    const json: string[] = [];
    createOutput(true, (l) => json.push(l)).message(message);
    expect(JSON.parse(json[0]!)).toMatchObject({ id: 'n1', text: 'DECOY' });
  });
});
