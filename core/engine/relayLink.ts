// The engine's account connection to its relay: made on first use, one-shot for a CLI command
// ('command') or kept up with reconnects for the app ('live'). Sends without identity use their
// own connection (sealedSends.ts); this one receives, acks and carries authenticated requests.
import { isWispError } from '../../common/errors';
import { RelayClient, type RelayClientOptions } from '../relayClient/relayClient';

/** What the connection is made of: route, account and signer, and the engine's handlers. */
export type RelayLinkOptions = Omit<RelayClientOptions, 'reconnect'>;

export class RelayLink {
  private relay: RelayClient | null = null;
  private modeValue: 'command' | 'live' = 'command';

  constructor(private readonly options: RelayLinkOptions) {}

  get mode(): 'command' | 'live' {
    return this.modeValue;
  }

  /** The connection, made (not yet connected) on first use; requests connect it as needed. */
  client(): RelayClient {
    this.relay ??= new RelayClient({ ...this.options, reconnect: this.modeValue === 'live' });
    return this.relay;
  }

  /** Lends an already open connection (the registering one, at account creation); null ends the loan. */
  lend(relay: RelayClient | null): void {
    this.relay = relay;
  }

  /**
   * App mode: a live connection, reconnecting with backoff. A one-shot connection made before is
   * closed first (`beforeReopen` closes what depends on it). Being offline is not an error here:
   * the client keeps trying and connection.changed tells the UI.
   */
  async goLive(beforeReopen: () => Promise<void>): Promise<void> {
    this.modeValue = 'live';
    if (this.relay && !this.relay.reconnects) {
      await this.relay.close();
      this.relay = null;
      await beforeReopen();
    }
    try {
      await this.client().connect();
    } catch (error) {
      if (!isWispError(error, 'RelayUnavailable')) throw error;
    }
  }

  async close(): Promise<void> {
    if (this.relay) await this.relay.close();
  }
}
