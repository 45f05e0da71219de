// Entry point of `wisp`, the headless client (PRODUCT.md, "The headless client contract"):
// parses `wisp <command> [subcommand] --options`, runs it on the engine, prints, sets the exit code.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { WispError } from '../common/errors';
import { commands, type CommandSpec } from './commands';
import { createOutput, printError } from './output';

const USAGE = `usage: wisp <command> [options]

commands:
  init --relay wss://HOST[:PORT] [--username NAME]   create the identity and register
                                     (plain ws:// only to this machine: ws://127.0.0.1:PORT)
  send --to NAME --text T [--expire SECS] [--burn SECS] [--file PATH] [--accept-identity-change]
                                     NAME is a person (username or account id), never a room; a
                                     name that moved or a changed key stops the send (IdentityChanged)
  sync [--wait SECS]                 receive pending envelopes, print new messages
  messages --with NAME|ROOM_ID       list stored messages, oldest first
  read --id ID                       mark a message seen (starts its burn countdown)
  contacts                           list contacts
  lookup --name NAME                 find a user on the relay and add them as a contact
  verify --with NAME [--mark|--unmark]   show the safety number, set the verified flag
  timers --with NAME|ROOM_ID [--expire SECS] [--burn SECS]   conversation default timers
  receipts [--delivery on|off] [--read on|off]
  conversations                      list conversations
  room create --name N --members a,b,c
  room add --room ID --members a,b   room remove --room ID --member NAME
  room rename --room ID --name N     room leave --room ID
  room promote --room ID --member NAME   room demote --room ID --member NAME
                                     admins change a room (add, remove, rename, timers, roles);
                                     other members may only leave
  room send --room ID --text T [--expire SECS] [--burn SECS] [--file PATH] [--accept-identity-change]
  room list
  room requests                      rooms that people who are not your contacts invited you to
  room accept --room ID              room decline --room ID
  attachment save --id MESSAGE_ID --attachment ATTACHMENT_ID --out PATH
  backup export --out FILE [--recovery-key] [--passphrase-file F]   encrypted backup (age file);
                                     passphrase from $WISP_BACKUP_PASSPHRASE or --passphrase-file
                                     (in backup commands --passphrase-file is the backup's; the
                                     profile's comes from --passphrase-fd or $WISP_PASSPHRASE)
  backup import --in FILE [--passphrase-file F | --identity-file KEYFILE]   restore into a new --profile
  username set --name NAME            change the name people find you by (3–32 letters, digits,
                                     dots, underscores; case-insensitive); contacts keep reaching you
  username release                   give your username up (anyone may take it); contacts keep you
  account delete --yes               unregister the account at the relay (username, keys, queued
                                     messages, uploads) and erase this profile and its key
  daemon [--socket PATH]             serve these commands as JSON-RPC 2.0 over stdio (or a Unix
                                     socket) with one open profile; engine events as notifications

options of every command:
  --profile DIR          profile folder (default: $WISP_PROFILE or ./profiles/default)
  --keystore keychain|passphrase   where the database key is kept
  --passphrase-file FILE   read the passphrase from FILE (implies --keystore passphrase)
  --passphrase-fd N        read the passphrase from file descriptor N (implies --keystore passphrase)
                         passphrase: --passphrase-file, else --passphrase-fd, else $WISP_PASSPHRASE,
                         else asked on the terminal without echo (twice at init)
  --proxy URL            every relay connection through this SOCKS5 proxy, e.g. Tor:
                         socks5h://127.0.0.1:9050 (default: $WISP_PROXY; the flag wins, and
                         --proxy '' turns a set $WISP_PROXY off). Never a direct fallback.
  --json                 one JSON object per line on stdout; errors as JSON on stderr
`;

const COMMON_OPTIONS = {
  profile: { type: 'string' },
  keystore: { type: 'string' },
  // No --passphrase VALUE: argv is readable by every local user (cli/passphrase.ts).
  'passphrase-file': { type: 'string' },
  'passphrase-fd': { type: 'string' },
  // Not stored in the profile: a flag or $WISP_PROXY for each run (cli/engineFor.ts).
  proxy: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

function findCommand(argv: string[]): { spec: CommandSpec; rest: string[] } | null {
  const [first, second] = argv;
  if (first === undefined) return null;
  const withSub =
    second !== undefined && !second.startsWith('-') ? commands[`${first} ${second}`] : undefined;
  if (withSub) return { spec: withSub, rest: argv.slice(2) };
  const single = commands[first];
  return single ? { spec: single, rest: argv.slice(1) } : null;
}

export async function main(argv: string[]): Promise<number> {
  const wantsJson = argv.includes('--json');
  const found = findCommand(argv);
  if (!found) {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      process.stdout.write(USAGE);
      return argv.length === 0 ? 2 : 0;
    }
    printError(
      new WispError('InvalidInput', `unknown command: ${argv.slice(0, 2).join(' ')}`, {
        recovery: 'Run `wisp --help` for the list of commands.',
      }),
      wantsJson,
    );
    return 2;
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: found.rest,
      options: { ...COMMON_OPTIONS, ...found.spec.options },
      strict: true,
      allowPositionals: false,
    }) as { values: Record<string, string | boolean | undefined> });
  } catch (error) {
    printError(
      new WispError('InvalidInput', (error as Error).message, { recovery: 'Run `wisp --help` for usage.' }),
      wantsJson,
    );
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  const out = createOutput(values.json === true);
  try {
    await found.spec.run(values, out);
    return 0;
  } catch (error) {
    printError(error, out.json);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
// Flush stdout before leaving: a pipe may still hold our JSON lines.
process.stdout.write('', () => process.exit(code));
