// The `rooms` IPC service (common/ipc/rooms.ts) over the engine's room operations: arguments arrive
// validated; what only the engine can judge (admin rights, membership, unknown names) it refuses
// with a typed error before anything changes.
import { WispError } from '../../common/errors';
import type { WispServices } from '../../common/ipc';
import type { EngineApi } from '../engine';

/**
 * The engine names our own account by our username (a member list gives every member's account
 * id, ours included): an admin demoting themselves is addressed that way.
 */
export function selfAsName(engine: EngineApi, member: string): string {
  return member === engine.accountId && engine.username !== null ? engine.username : member;
}

export function createRoomsService(requireEngine: () => Promise<EngineApi>): WispServices['rooms'] {
  return {
    create: async ({ name, members }) => {
      const open = await requireEngine();
      if (members.some((m) => m === open.accountId || m.toLowerCase() === open.username?.toLowerCase()))
        throw new WispError('InvalidInput', 'you are in every room you create: list only the others', {
          recovery: 'Remove your own name from the members.',
        });
      return open.createRoom(name, members);
    },
    addMembers: async ({ roomId, members }) => (await requireEngine()).addRoomMembers(roomId, members),
    removeMember: async ({ roomId, member }) => {
      const open = await requireEngine();
      if (member === open.accountId || member.toLowerCase() === open.username?.toLowerCase())
        throw new WispError('InvalidInput', 'you cannot remove yourself from a room', {
          recovery: 'Use “Leave room” instead.',
        });
      return open.removeRoomMember(roomId, member);
    },
    rename: async ({ roomId, name }) => (await requireEngine()).renameRoom(roomId, name),
    leave: async ({ roomId }) => {
      await (await requireEngine()).leaveRoom(roomId);
      return null;
    },
    members: async ({ roomId }) => (await requireEngine()).queries.roomMembers(roomId),
  };
}
