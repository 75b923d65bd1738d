#!/usr/bin/env node
// The published package runs the compiled CLI; `npm start` runs the sources with tsx.
await import('../dist/src/cli.js');
