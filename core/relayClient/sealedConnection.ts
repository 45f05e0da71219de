// The connection for sends without identity: a second WebSocket to the same relay, with the same
// transport options (address, proxy, timeouts) as the account's connection but never authenticated,
// opened at a random moment or on demand, and reopened on demand after a drop. Nothing it sends
// names the account: no auth, no account id, no request ordering shared with the other socket.
import { randomInt } from 'node:crypto';
import { WispError } from '../../common/errors';
import { RelayClient, type RelayClientOptions } from './relayClient';

type TransportOptions = ReturnType<RelayClient['transportOptions']>;

/** Longest random wait before a live engine opens this connection ahead of its first send. */
export const PREWARM_MAX_DELAY_MS = 20_000;

function neverSigns(): Uint8Array {
  throw new WispError('Internal', 'the connection for sends without identity never authenticates');
}

export class SealedConnection {
  private client: RelayClient | null = null;
  private prewarmTimer: NodeJS.Timeout | null = null;

  /** `transport` is read when the connection is first needed (the account connection's options). */
  constructor(private readonly transport: () => TransportOptions) {}

  /** The connection, created on first use; it connects when the first request goes out. */
  relay(): RelayClient {
    if (this.client) return this.client;
    const options: RelayClientOptions = {
      ...this.transport(),
      // No account: RelayClient authenticates only when it has one; no envelope handlers either,
      // the relay pushes nothing to a connection that never authenticated.
      accountId: null,
      sign: neverSigns,
      // Reopened on the next send rather than on a timer: the relay closes an idle sealed
      // connection that has not sent yet (4001), and a reconnect loop would only add traffic.
      reconnect: false,
    };
    this.client = new RelayClient(options);
    return this.client;
  }

  /** Whether the connection exists (tests and the benchmark look at it). */
  get opened(): boolean {
    return this.client !== null;
  }

  /**
   * Opens the connection after a random delay (live mode, once the account connection is up), so
   * the first sealed send does not open a socket at the very moment it goes out.
   */
  prewarm(maxDelayMs = PREWARM_MAX_DELAY_MS): void {
    if (this.client || this.prewarmTimer) return;
    this.prewarmTimer = setTimeout(
      () => {
        this.prewarmTimer = null;
        void this.relay()
          .connect()
          .catch(() => undefined);
      },
      randomInt(0, Math.max(1, maxDelayMs)),
    );
    this.prewarmTimer.unref();
  }

  async close(): Promise<void> {
    if (this.prewarmTimer) clearTimeout(this.prewarmTimer);
    this.prewarmTimer = null;
    const client = this.client;
    this.client = null;
    if (client) await client.close();
  }
}
