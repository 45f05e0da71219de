// Which signing and notarisation a packaging run will do, decided from the environment only (the
// secrets never live in the repo), and the one line each step prints when it is skipped.
// Used by the electron-builder hooks beside it; no secret value ever reaches a returned line.

const MAC_NOTARY_SETS = [
  ['APPLE_API_KEY', 'APPLE_API_KEY_ID', 'APPLE_API_ISSUER'],
  ['APPLE_ID', 'APPLE_APP_SPECIFIC_PASSWORD', 'APPLE_TEAM_ID'],
];

const given = (env, name) => env[name] !== undefined && env[name] !== '';

/**
 * @param {'darwin' | 'win32' | 'linux' | string} platform electron-builder's electronPlatformName
 * @returns {{ sign: boolean, notarize: null | Record<string, string>, lines: string[] }}
 */
export function signingPlan(platform, env = process.env) {
  const lines = [];
  let sign = false;
  let notarize = null;
  if (platform === 'linux') {
    lines.push('signing: not done for Linux packages (sign the apt/rpm repository metadata instead)');
    return { sign, notarize, lines };
  }
  if (platform === 'win32') {
    sign = given(env, 'WIN_CSC_LINK') || given(env, 'CSC_LINK');
    lines.push(
      sign
        ? 'signing: Windows installer and executables signed with the certificate in WIN_CSC_LINK/CSC_LINK'
        : 'signing: skipped for Windows — WIN_CSC_LINK/CSC_LINK (and its *_KEY_PASSWORD) not set; SmartScreen will warn about an unsigned installer',
    );
    return { sign, notarize, lines };
  }
  if (platform === 'darwin' || platform === 'mas') {
    sign = given(env, 'CSC_LINK') || given(env, 'CSC_NAME');
    lines.push(
      sign
        ? 'signing: macOS app signed (hardened runtime) with the identity from CSC_LINK/CSC_NAME'
        : 'signing: skipped for macOS — CSC_LINK/CSC_NAME not set; Gatekeeper will refuse the app on other Macs',
    );
    const complete = MAC_NOTARY_SETS.find((set) => set.every((name) => given(env, name)));
    const partial = MAC_NOTARY_SETS.find((set) => set.some((name) => given(env, name)));
    if (complete !== undefined) {
      if (!sign)
        throw new Error(
          'notarisation credentials are set but CSC_LINK/CSC_NAME is not: Apple notarises signed apps only',
        );
      notarize = Object.fromEntries(complete.map((name) => [name, env[name]]));
      lines.push(`notarisation: submitted to Apple with ${complete.join(', ')}`);
    } else if (partial !== undefined) {
      // A release with half its credentials is a mistake, not a choice: stop rather than ship unnotarised.
      const missing = partial.filter((name) => !given(env, name));
      throw new Error(
        `notarisation is half configured: ${missing.join(', ')} missing (set all of ${partial.join(', ')})`,
      );
    } else {
      lines.push(
        'notarisation: skipped — set APPLE_API_KEY, APPLE_API_KEY_ID, APPLE_API_ISSUER (or APPLE_ID, APPLE_APP_SPECIFIC_PASSWORD, APPLE_TEAM_ID)',
      );
    }
    return { sign, notarize, lines };
  }
  lines.push(`signing: no signing step for platform ${platform}`);
  return { sign, notarize, lines };
}

/** The options @electron/notarize takes for the credential set the plan found. */
export function notarizeOptions(appPath, credentials) {
  if (credentials.APPLE_API_KEY !== undefined) {
    return {
      appPath,
      appleApiKey: credentials.APPLE_API_KEY,
      appleApiKeyId: credentials.APPLE_API_KEY_ID,
      appleApiIssuer: credentials.APPLE_API_ISSUER,
    };
  }
  return {
    appPath,
    appleId: credentials.APPLE_ID,
    appleIdPassword: credentials.APPLE_APP_SPECIFIC_PASSWORD,
    teamId: credentials.APPLE_TEAM_ID,
  };
}
