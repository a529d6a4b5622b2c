// The VPP client against the fake VPP over a real unix socket: handshake, requests, dumps, events, close.

import { afterEach, describe, expect, it } from 'vitest';
import { ControlPingDef } from 'vpp-binapi-ts/memclnt';
import { ShowVersionDef, ShowVersionReplyDef } from 'vpp-binapi-ts/vpe';
import { VppApiError } from '../../src/vppapi/errors.js';
import { FakeVpp } from '../fakes/fake-vpp.js';
import { connectClient, until } from './helpers.js';

let fake: FakeVpp | undefined;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await fake?.stop();
  fake = undefined;
});

async function setup(opts: Parameters<typeof connectClient>[1] = {}) {
  fake = await FakeVpp.start();
  const r = await connectClient(fake, opts);
  closers.push(() => r.client.close());
  return { fake, ...r };
}

describe('VppClient', () => {
  it('connects, announces the state change with a reason, and uses the handle as client_index', async () => {
    const { client, states } = await setup();
    expect(states.map((s) => s.state)).toEqual(['connecting', 'connected']);
    expect(states[1]?.reason).toMatch(/client_index 0x80000001/);
    expect(client.clientIndex).toBe(0x80000001);
    const reply = await client.request(ControlPingDef, {});
    expect(reply).toMatchObject({ retval: 0, client_index: 0x80000001, vpe_pid: process.pid });
  });

  it('returns the decoded reply of a handled request and turns a negative retval into VppApiError', async () => {
    const { fake, client } = await setup();
    let retval = 0;
    fake.setHandler(({ def }) =>
      def.name === 'show_version'
        ? [
            {
              def: ShowVersionReplyDef,
              value: { retval, program: 'vpe', version: '26.10', build_date: '', build_directory: '' },
            },
          ]
        : undefined,
    );
    expect(await client.request(ShowVersionDef, {})).toMatchObject({ program: 'vpe', version: '26.10' });
    retval = -81;
    const err = await client.request(ShowVersionDef, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VppApiError);
    expect(err).toMatchObject({
      code: 'ERR_VPP_RETVAL',
      retval: -81,
      retvalName: 'VNET_API_ERROR_VALUE_EXIST',
      messageName: 'show_version',
    });
    expect((err as Error).stack).toContain('client.test.ts');
    expect(client.inFlight).toBe(0);
  });

  it('completes 10 000 concurrent requests, in order, with one context each', async () => {
    const { fake, client } = await setup();
    const order: number[] = [];
    // A generous timeout: this is about order and completeness on a shared machine, not speed.
    const all = Array.from({ length: 10_000 }, (_, i) =>
      client.request(ControlPingDef, {}, { timeoutMs: 15_000 }).then((r) => {
        order.push(i);
        return r;
      }),
    );
    const replies = await Promise.all(all);
    expect(order).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    expect(new Set(replies.map((r) => (r as { context: number }).context)).size).toBe(10_000);
    expect(fake.received.filter((f) => f.msgId === fake.idOf(ControlPingDef))).toHaveLength(10_000);
    expect(client.inFlight).toBe(0);
  });

  it('closes with sockclnt_delete, then the fake closes the socket', async () => {
    const { fake, client, states } = await setup();
    closers.pop();
    await client.close();
    expect(client.state).toBe('closed');
    expect(states.at(-1)).toMatchObject({ state: 'closed', reason: 'closed by client' });
    await until(() => fake.vpp.connections === 0, 'fake to see the close');
    expect(fake.received.at(-1)?.msgId).toBe(17);
  });
});
