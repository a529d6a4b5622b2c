// Child process for the atomicity test: writes a new state, announces the moment before the rename, then waits to be killed.
import { nodeStateFs, StateStore } from '../../src/state/store.js';
import { backend, state, T0 } from './builders.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: kill-child <dir>');
const store = new StateStore({
  dir,
  now: () => T0 + 60_000,
  fs: {
    ...nodeStateFs,
    // The temp file is written and fsynced by now; stop here, between write and rename, until SIGKILL.
    rename: () =>
      new Promise<void>(() => {
        process.stdout.write('before-rename\n');
        setInterval(() => {}, 1000);
      }),
  },
});
void store.save(state([backend('new', '10.0.0.99', { admin: 'disabled' })]));
