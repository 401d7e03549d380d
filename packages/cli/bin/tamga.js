#!/usr/bin/env node
// Entry point of the `tamga` command: runs the compiled CLI (built by `npm install`).
import { main } from '../dist/index.js';

process.exitCode = await main(process.argv.slice(2));
