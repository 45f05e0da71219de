// Preloaded with `node --import` into a process under test: records every native addon it loads
// (process.dlopen is the one way a .node file gets in) and writes the list, as JSON, to the file
// named by WISP_NATIVE_PROBE_OUT when the process exits.
import { writeFileSync } from 'node:fs';

const loaded = [];
const dlopen = process.dlopen;
process.dlopen = function probedDlopen(module, filename, ...rest) {
  loaded.push(String(filename));
  return dlopen.call(this, module, filename, ...rest);
};
process.on('exit', () => {
  writeFileSync(process.env.WISP_NATIVE_PROBE_OUT, JSON.stringify(loaded));
});
