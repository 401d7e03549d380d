#!/usr/bin/env node
// Entry point of the `tamga` command: runs the compiled CLI (built by `npm install`).
import { main } from '../dist/index.js';

// A reader that stops early (`tamga catalog list | head`) ends the output, not the command with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

process.exitCode = await main(process.argv.slice(2));
