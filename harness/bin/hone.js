#!/usr/bin/env node
// The `hone` command: runs the TypeScript CLI through tsx's loader, so the
// sources are the program (no build step to forget).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
