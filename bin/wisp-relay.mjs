#!/usr/bin/env node
// Entry point of `wisp-relay`: registers tsx so the TypeScript sources run as they are.
import { register } from 'tsx/esm/api';

register();
await import('../relay/cli.ts');
