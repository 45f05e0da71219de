// electron-builder.yml as electron-builder reads it: every fuse it can set is set to the safe value,
// each platform gets its installers, the icons exist at every size they name, and the wisp:// link
// and .wisp-backup file registrations are there. (tests/electron/packaging.test.ts packs for real.)
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { FuseV1Options } from '@electron/fuses';
import { describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../../..');
// js-yaml is what electron-builder itself parses its config with.
const yaml = createRequire(join(repo, 'node_modules/app-builder-lib/package.json'))('js-yaml') as {
  load(text: string): unknown;
};
/** The parts of electron-builder's configuration these tests read. */
interface BuilderConfig {
  appId: string;
  productName: string;
  asar: boolean;
  asarUnpack: string[];
  npmRebuild: boolean;
  buildDependenciesFromSource: boolean;
  electronFuses: Record<string, boolean>;
  protocols: unknown;
  fileAssociations: unknown;
  afterPack: string;
  afterSign: string;
  linux: { target: string[]; icon: string; maintainer: string };
  extraMetadata: { homepage: string };
  mac: { target: unknown; icon: string; hardenedRuntime: boolean; entitlements: string; notarize: boolean };
  win: { target: string; icon: string };
}
const config = yaml.load(readFileSync(join(repo, 'electron-builder.yml'), 'utf8')) as BuilderConfig;

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Buffer): [number, number] {
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

describe('electron-builder.yml', () => {
  it('sets every fuse electron-builder can flip, each to the locked-down value', () => {
    // electron-builder's option name for each FuseV1Options entry (WasmTrapHandlers has none and
    // stays at Electron's default: on).
    const wanted: Record<string, boolean> = {
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      loadBrowserProcessSpecificV8Snapshot: false,
      grantFileProtocolExtraPrivileges: false,
    };
    const fuseNames = Object.keys(FuseV1Options).filter((key) => Number.isNaN(Number(key)));
    expect(fuseNames.filter((name) => name !== 'WasmTrapHandlers')).toHaveLength(Object.keys(wanted).length);
    expect(config.electronFuses).toEqual(wanted);
    expect(config.asar).toBe(true);
  });

  it('builds AppImage, deb and rpm on Linux, a universal dmg on macOS and nsis on Windows', () => {
    expect(config.appId).toBe('org.wisp.desktop');
    expect(config.productName).toBe('Wisp');
    expect(config.linux.target).toEqual(['AppImage', 'deb', 'rpm']);
    // fpm (deb, rpm) stops without both; electron-builder reads them from here.
    expect(config.linux.maintainer).toMatch(/^.+ <.+@.+>$/);
    expect(config.extraMetadata.homepage).toMatch(/^https:\/\//);
    expect(config.mac.target).toEqual([{ target: 'dmg', arch: ['universal'] }]);
    expect(config.mac.hardenedRuntime).toBe(true);
    expect(existsSync(join(repo, config.mac.entitlements))).toBe(true);
    expect(config.win.target).toBe('nsis');
  });

  it('registers wisp:// links and .wisp-backup files with the OS', () => {
    expect(config.protocols).toEqual([{ name: 'Wisp link', schemes: ['wisp'] }]);
    expect(config.fileAssociations).toEqual([
      expect.objectContaining({ ext: 'wisp-backup', mimeType: 'application/x-wisp-backup' }),
    ]);
  });

  it('rebuilds native modules from source and unpacks them from the ASAR', () => {
    expect(config.npmRebuild).toBe(true);
    expect(config.buildDependenciesFromSource).toBe(true);
    expect(config.asarUnpack).toContain('**/*.node');
  });

  it('has every icon the platforms need, rendered at its true size', () => {
    const linux = join(repo, config.linux.icon);
    const sizes = readdirSync(linux)
      .map((name) => /^(\d+)x\1\.png$/.exec(name)?.[1])
      .filter((size) => size !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    expect(sizes).toEqual([16, 24, 32, 48, 64, 128, 256, 512, 1024]);
    for (const size of sizes) {
      expect(pngSize(readFileSync(join(linux, `${size}x${size}.png`)))).toEqual([size, size]);
    }
    expect(pngSize(readFileSync(join(repo, 'build/icon.png')))).toEqual([1024, 1024]);

    const ico = readFileSync(join(repo, config.win.icon));
    expect(ico.readUInt16LE(2)).toBe(1); // type: icon
    const icoSizes = Array.from({ length: ico.readUInt16LE(4) }, (_, i) => ico.readUInt8(6 + 16 * i) || 256);
    expect(icoSizes).toEqual([16, 24, 32, 48, 64, 128, 256]);

    const icns = readFileSync(join(repo, config.mac.icon));
    expect(icns.subarray(0, 4).toString('latin1')).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const types: string[] = [];
    for (let at = 8; at < icns.length; at += icns.readUInt32BE(at + 4))
      types.push(icns.subarray(at, at + 4).toString('latin1'));
    expect(types).toEqual(expect.arrayContaining(['icp4', 'ic07', 'ic08', 'ic09', 'ic10']));
  });

  it('runs the signing hooks that exist', () => {
    expect(existsSync(join(repo, config.afterPack))).toBe(true);
    expect(existsSync(join(repo, config.afterSign))).toBe(true);
    expect(config.mac.notarize).toBe(false); // notarised by the afterSign hook, from the environment
  });
});
