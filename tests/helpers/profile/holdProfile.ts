// Child process for the profile-lock tests: opens the profile given as argv[2] with the fast test
// passphrase, prints "held" once it holds it, and then keeps it open until it is killed.
import { openProfile } from '../../../core/profile/index';
import { passphraseChoice } from '../store/tempProfile';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: holdProfile.ts PROFILE_DIR');
const profile = await openProfile(dir, passphraseChoice());
profile.store.settings.set('held by', 'child');
process.stdout.write('held\n');
// Keep the event loop alive; the lock is released only by the OS when this process dies.
setInterval(() => profile.id, 60_000);
