// How the services reach the engine: `Engine.create` / `Engine.open` from core/engine, behind a
// small interface so a test can count calls or point at a second engine without touching main/.
import { Engine, type EngineApi, type EngineCreateOptions, type EngineOpenOptions } from '../engine';

export interface EngineFactory {
  create(options: EngineCreateOptions): Promise<EngineApi>;
  open(options: EngineOpenOptions): Promise<EngineApi>;
}

export const defaultEngineFactory: EngineFactory = {
  create: (options) => Engine.create(options),
  open: (options) => Engine.open(options),
};
