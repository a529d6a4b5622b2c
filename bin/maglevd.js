#!/usr/bin/env node
// The installed `maglevd` command: runs the compiled daemon entry point (npm run build makes dist/).
import { main } from '../dist/daemon/main.js';

process.exitCode = await main(process.argv);
