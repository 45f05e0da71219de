// The two send batchers of a relay connection (sendBatcher.ts): message.send → message.sendBatch on
// the account's connection, message.sendSealed → message.sendSealedBatch on the one that never
// authenticates. A refused item fails its caller with the error a lone send refused for the same
// reason gives, so callers (core/engine/sealedRoute.ts) handle both alike.
import type { OpBody, OpName, OpResult } from '../../common/wire';
import { RelayRequestError } from './relayClient';
import { SendBatcher } from './sendBatcher';

type Send = <K extends OpName>(op: K, body: OpBody<K>) => Promise<OpResult<K>>;

export function pairwiseBatcher(send: Send) {
  return new SendBatcher({
    sendOne: (body: OpBody<'message.send'>) => send('message.send', body),
    sendBatch: (messages) => send('message.sendBatch', { messages }),
    refusal: (refused: 'NotFound' | 'RelayQueueFull' | 'Internal') =>
      new RelayRequestError(
        refused,
        refused === 'NotFound'
          ? 'no such recipient account'
          : refused === 'RelayQueueFull'
            ? "the recipient's queue is full"
            : 'the relay answered fewer results than sent',
      ),
  });
}

export function sealedBatcher(send: Send) {
  return new SendBatcher({
    sendOne: (body: OpBody<'message.sendSealed'>) => send('message.sendSealed', body),
    sendBatch: (items) => send('message.sendSealedBatch', { items }),
    // The key, token and recipient of each item (well under 1 kB) besides its payload.
    overhead: (body) => body.token.length + body.deliveryKey.length + 128,
    refusal: (refused: 'deliveryKey' | 'token' | 'RelayQueueFull' | 'Internal') => {
      switch (refused) {
        case 'deliveryKey':
          return new RelayRequestError(
            'Unauthorized',
            'the recipient takes no sends without identity from this sender (no matching delivery key)',
            undefined,
            'deliveryKey',
          );
        case 'token':
          return new RelayRequestError(
            'Unauthorized',
            'the send token is invalid or already spent',
            undefined,
            'token',
          );
        case 'RelayQueueFull':
          return new RelayRequestError('RelayQueueFull', "the recipient's queue is full");
        default:
          return new RelayRequestError('Internal', 'the relay answered fewer results than sent');
      }
    },
  });
}
