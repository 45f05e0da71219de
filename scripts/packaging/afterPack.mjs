// electron-builder afterPack hook: states, before signing starts, what will be signed with which
// environment variables and what is skipped, in one line per step (never a secret's value).
import { signingPlan } from './signing.mjs';

export default async function afterPack(context) {
  for (const line of signingPlan(context.electronPlatformName).lines) console.log(`  • ${line}`);
}
