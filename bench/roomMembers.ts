// The 499 members of bench/room.bench.ts, in a process of their own: they register with the relay
// named by argv[2], print their account ids as one JSON line, and stay connected (so the relay
// pushes them every room envelope live) until stdin closes. Apart from the sender's process
// because they stand for other people's devices: the parsing of 499 pushed envelopes is theirs.
import { SignalUser } from '../tests/helpers/relay/signalUser';

const url = process.argv[2]!;
const count = Number(process.argv[3]);
const members: SignalUser[] = [];
for (let i = 0; i < count; i++) {
  members.push(await SignalUser.register(url, { username: `member${i}`, preKeys: 3 }));
}
process.stdout.write(`${JSON.stringify(members.map((m) => m.accountId))}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void Promise.all(members.map((m) => m.client.close())).then(() => process.exit(0));
});
