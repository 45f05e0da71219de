// How the services reach the engine: `Engine.create` / `Engine.open` from core/engine, looked up at
// call time so the services build and run (and say so honestly) while the engine is being written.
import type { EngineApi, EngineCreateOptions, EngineOpenOptions } from '../engine';
import { notImplemented } from '../../common/ipc';

export interface EngineFactory {
  create(options: EngineCreateOptions): Promise<EngineApi>;
  open(options: EngineOpenOptions): Promise<EngineApi>;
}

export async function loadEngineFactory(): Promise<EngineFactory> {
  const mod = (await import('../engine')) as Record<string, unknown>;
  const candidate = mod.Engine as Partial<EngineFactory> | undefined;
  if (
    candidate === undefined ||
    typeof candidate.create !== 'function' ||
    typeof candidate.open !== 'function'
  ) {
    throw notImplemented('The messaging engine (core/engine Engine.create/open)');
  }
  return candidate as EngineFactory;
}
