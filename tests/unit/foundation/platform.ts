// A PlatformAdapter for tests of core/services: records what the services ask of the runtime.
import type { PlatformAdapter } from '../../../core/services';

export interface RecordingPlatform extends PlatformAdapter {
  readonly contentProtectionCalls: boolean[];
  readonly opened: string[];
}

export function testPlatform(): RecordingPlatform {
  const contentProtectionCalls: boolean[] = [];
  const opened: string[] = [];
  return {
    runtime: 'harness',
    version: 'test',
    defaultRelayUrl: null,
    contentProtection: { available: false, reason: 'Screen-capture protection is not available on Linux.' },
    applyContentProtection: (enabled) => void contentProtectionCalls.push(enabled),
    openExternal: async (url) => {
      opened.push(url);
      return true;
    },
    contentProtectionCalls,
    opened,
  };
}
