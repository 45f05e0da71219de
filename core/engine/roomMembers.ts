// A room's member list for the UI: each member's account id, role, and the name we may show — the
// username our own relay lookup confirmed, or else the name another member listed (a hint only),
// in the order the member list shows them.
import { WispError } from '../../common/errors';
import type { RoomMemberView } from '../../common/ipc/rooms';
import type { Store } from '../store';
import { nameHintOf, type NameBook } from './views';

export function roomMembers(store: Store, book: NameBook, roomId: string): RoomMemberView[] {
  const c = store.conversations.get(roomId);
  // A room request is not ours yet: its member list is what an unknown sender claims.
  if (c === undefined || c.kind !== 'room' || c.requestFrom !== null) {
    throw new WispError('NotFound', 'no room with that id', {
      recovery: 'Pick the room again from the list.',
    });
  }
  const list = store.conversations.members(roomId).map((m): RoomMemberView => {
    const self = m.accountId === book.selfId;
    return {
      accountId: m.accountId,
      username: self ? book.selfName : (store.contacts.get(m.accountId)?.username ?? null),
      nameHint: nameHintOf(book, m.accountId),
      role: m.role,
      self,
    };
  });
  // As Signal lists a group: ourselves first, then admins, then everyone by name (names we hold
  // before hints before bare ids), so the list does not reshuffle as ids happen to sort.
  const rank = (m: RoomMemberView): number => (m.self ? 0 : m.role === 'admin' ? 1 : 2);
  const label = (m: RoomMemberView): string =>
    m.username !== null ? `0${m.username}` : m.nameHint !== null ? `1${m.nameHint}` : `2${m.accountId}`;
  return list.sort((a, b) => rank(a) - rank(b) || label(a).localeCompare(label(b)));
}
