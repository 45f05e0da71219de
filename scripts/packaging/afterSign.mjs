// electron-builder afterSign hook: notarises the signed macOS app with Apple when the environment
// holds a complete credential set, and otherwise says it skipped (signing.mjs decides which).
import { join } from 'node:path';
import { notarizeOptions, signingPlan } from './signing.mjs';

export default async function afterSign(context) {
  if (context.electronPlatformName !== 'darwin') return;
  const plan = signingPlan('darwin');
  if (plan.notarize === null) return; // afterPack already printed why
  const appPath = join(context.appOutDir, `${context.packager.appInfo.productFilename}.app`);
  const { notarize } = await import('@electron/notarize');
  await notarize(notarizeOptions(appPath, plan.notarize));
  console.log(`  • notarisation: ${appPath} accepted by Apple`);
}
