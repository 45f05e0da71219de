// Public entry of the relay wire protocol: zod schemas and inferred types of every relay⇄client
// frame and HTTP body (docs/PROTOCOL.md is the prose version).
export * from './primitives';
export * from './errors';
export * from './ops';
export * from './frames';
export * from './http';
export * from './tokens';
