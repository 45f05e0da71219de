// Run in a child process whose D-Bus points nowhere: tries to create a keychain profile and prints
// what happened as one JSON line, so the parent test sees the real "no keyring" behaviour.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createProfile } from '../../../core/profile/index';
import { isWispError } from '../../../common/errors';

const dir = process.argv[2];
if (!dir) throw new Error('usage: keychainChild.ts DIR');
try {
  const profile = await createProfile(dir, { kind: 'keychain', service: 'wisp-test-unavailable' });
  profile.close();
  process.stdout.write(JSON.stringify({ created: true }) + '\n');
} catch (error) {
  process.stdout.write(
    JSON.stringify({
      kind: isWispError(error) ? error.kind : 'untyped',
      message: error instanceof Error ? error.message : String(error),
      recovery: isWispError(error) ? error.recovery : undefined,
      files: existsSync(dir) ? readdirSync(dir) : [],
      database: existsSync(join(dir, 'wisp.db')),
    }) + '\n',
  );
}
