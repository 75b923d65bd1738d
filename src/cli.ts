#!/usr/bin/env node
// The command line: `sync-session <command>`; the commands live in cli/main.ts.
import { main } from './cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`sync-session: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
