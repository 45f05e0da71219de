// Child-process entry for spawnRelay({ limits }): the real relay (startRelay, SQLite in a temp dir)
// with limits given as JSON in argv[2], printing the same JSON line as `wisp-relay` and stopping on
// SIGTERM. Lets memory tests measure the relay's own RSS under limits the CLI has no flags for.
import { startRelay, type RelayLimitsInput } from '../../../relay';

const limits = JSON.parse(process.argv[2] ?? '{}') as RelayLimitsInput;
const relay = await startRelay({ port: 0, logger: false, limits });
process.stdout.write(`${JSON.stringify({ url: relay.url, httpUrl: relay.httpUrl, port: relay.port })}\n`);
process.on('SIGTERM', () => {
  void relay.close().then(() => process.exit(0));
});
