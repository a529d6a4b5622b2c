// Shared helpers for VPP client tests: waiting on real I/O while timers are fake, and client set-up.
import { VppClient, type VppClientOptions, type VppStateEvent } from '../../src/vppapi/client.js';
import type { FakeVpp } from '../fakes/fake-vpp.js';

/** until lets real I/O run (setImmediate is never faked here) until `cond` holds, or throws after `turns`. */
export async function until(cond: () => boolean, what = 'condition', turns = 20_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** The timers a test fakes: everything time-based, but not the I/O turn machinery. */
export const FAKE_TIMERS = {
  toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] as const,
};

/** connectClient starts a client on the fake and waits for `connected`; it records every state event. */
export async function connectClient(
  fake: FakeVpp,
  opts: Partial<VppClientOptions> = {},
): Promise<{ client: VppClient; states: VppStateEvent[] }> {
  const client = new VppClient({ socketPath: fake.path, livenessIntervalMs: 0, ...opts });
  const states: VppStateEvent[] = [];
  client.onState((e) => states.push(e));
  client.start();
  await until(() => client.state === 'connected' || client.state === 'incompatible', 'connected');
  return { client, states };
}
