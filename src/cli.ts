#!/usr/bin/env node
// The command line: `sync-session <command>`; the commands live in cli/main.ts.
import { main } from './cli/main.js';

process.exitCode = main(process.argv.slice(2));
