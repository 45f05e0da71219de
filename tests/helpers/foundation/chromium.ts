// How every browser test here launches Chromium: Debian's binary (never a downloaded browser) with
// the flags that keep it off a network this machine does not have (TOOLCHAIN.md).
export const CHROMIUM_PATH = process.env.WISP_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
