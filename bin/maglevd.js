#!/usr/bin/env node
// The installed `maglevd` command: runs the compiled daemon entry point (npm run build makes dist/).
import { main } from '../dist/daemon/main.js';

const code = await main(process.argv);
// Output still queued for a pipe (`maglevd --check 2>&1 | less`) dies with an immediate exit: let it drain,
// for a second at most, so a reader that stopped reading cannot hold the exit.
await Promise.race([
  Promise.all([process.stdout, process.stderr].map((s) => new Promise((resolve) => s.write('', resolve)))),
  new Promise((resolve) => setTimeout(resolve, 1000).unref()),
]);
// Exit explicitly: the daemon has stopped everything it owns, and a lingering timer must not hold systemd.
process.exit(code);
