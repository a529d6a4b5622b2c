#!/usr/bin/env node
// The installed `maglevd` command: runs the compiled daemon entry point (npm run build makes dist/).
import { main } from '../dist/daemon/main.js';

// Exit explicitly: the daemon has stopped everything it owns, and a lingering timer must not hold systemd.
process.exit(await main(process.argv));
