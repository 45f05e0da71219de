// The PostgreSQL backend's wake-ups across nodes: a stored envelope sends NOTIFY inside its
// transaction (so it fires on commit); every node LISTENs on one dedicated connection and wakes
// its own connections for that recipient. A lost channel reconnects and then wakes everyone.
import pg from 'pg';
import type { EventEmitter } from 'node:events';

export class WakeListener {
  private client: pg.Client | null = null;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly url: string,
    readonly channel: string,
    private readonly wakes: EventEmitter,
  ) {}

  async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    const retry = () => {
      if (this.closed || this.reconnectTimer) return;
      this.client = null;
      client.end().catch(() => undefined);
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = null;
        // Notifications sent while we were away are lost: wake everyone once we are back.
        this.listen().then(
          () => this.wakes.emit('wake', null),
          () => retry(),
        );
      }, 1000);
      this.reconnectTimer.unref();
    };
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', (n) => {
      if (n.channel === this.channel && n.payload) this.wakes.emit('wake', n.payload);
    });
    await client.connect();
    await client.query(`LISTEN "${this.channel}"`);
    this.client = client;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = null;
    if (client) {
      client.removeAllListeners('end');
      client.removeAllListeners('error');
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
    }
  }
}
