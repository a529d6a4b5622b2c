// The client's bytes equal vpp_papi's for the same session (lb_session.json), replayed against the fake VPP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VppHandlerReply } from '../../src/sim/vpp-server.js';
import type { VppClient } from '../../src/vppapi/client.js';
import { VppApiError } from '../../src/vppapi/errors.js';
import { encodeFrame } from '../../src/vppapi/frame-writer.js';
import { type CapturedMessage, defOf, loadCapture } from '../fakes/captures.js';
import { FakeVpp } from '../fakes/fake-vpp.js';
import { connectClient, until } from './helpers.js';

const capture = loadCapture('lb_session.json');
const VPE_PID = 18_513;

/** The captured replies the handler must produce, by context (memclnt replies come from the server itself). */
const repliesByContext = new Map<number, VppHandlerReply[]>();
for (const m of capture.messages) {
  const def = defOf(m);
  if (m.dir !== 'vpp_to_client' || def.module === 'memclnt') continue;
  const value = def.decode(m.payload) as { context: number };
  const list = repliesByContext.get(value.context) ?? [];
  list.push({ def, value });
  repliesByContext.set(value.context, list);
}

let fake: FakeVpp;
let client: VppClient;
const outcomes: Array<{ name: string; result: unknown }> = [];

beforeAll(async () => {
  fake = await FakeVpp.start({
    table: capture.table,
    vpePid: VPE_PID,
    handler: ({ context }) => repliesByContext.get(context) ?? [],
  });
  ({ client } = await connectClient(fake, { clientName: 'lb-fixture' }));
  // Replay vpp_papi's requests through the client, each from its captured decoding.
  const requests = capture.messages.filter((m) => m.dir === 'client_to_vpp');
  let previous: CapturedMessage | undefined;
  for (const m of requests) {
    const isDumpPing = m.name === 'control_ping' && previous?.def?.stream === true;
    previous = m;
    if (m.name === 'sockclnt_create' || isDumpPing) continue;
    if (m.name === 'sockclnt_delete') {
      await client.close();
      continue;
    }
    const def = defOf(m);
    const value = def.decode(m.payload) as object;
    const call = def.stream ? client.dump(def, value as never) : client.request(def, value as never);
    outcomes.push({ name: def.name, result: await call.catch((e: unknown) => e) });
  }
  await until(() => fake.vpp.connections === 0, 'fake to close the socket after sockclnt_delete');
});

afterAll(async () => {
  await client.close();
  await fake.stop();
});

describe('client bytes on the wire against the vpp_papi capture', () => {
  it('sends exactly the captured client byte stream: headers, handshake, client_index, contexts', () => {
    const sent = Buffer.concat(fake.received.map((f) => encodeFrame(f.payload)));
    expect(sent.toString('hex')).toBe(capture.clientToVpp.toString('hex'));
  });

  it('sends every request with the same payload as vpp_papi, message by message', () => {
    const expected = capture.messages.filter((m) => m.dir === 'client_to_vpp');
    expect(fake.received.map((f) => [f.msgId, f.payload.toString('hex')])).toEqual(
      expected.map((m) => [m.msgId, m.payload.toString('hex')]),
    );
  });

  it('decodes the captured replies and maps the negative retvals to their VNET_API_ERROR names', () => {
    const names = outcomes.map((o) =>
      o.result instanceof VppApiError ? `${o.name}: ${o.result.retvalName}` : o.name,
    );
    expect(names).toEqual([
      'control_ping',
      'show_version',
      'lb_conf_get',
      'lb_conf',
      'lb_add_del_vip_v2',
      'lb_add_del_as_v2',
      'lb_add_del_as_v2',
      'lb_add_del_as_v2: VNET_API_ERROR_VALUE_EXIST',
      'lb_as_set_weight',
      'lb_as_v2_dump',
      'lb_vip_dump',
      'lb_add_del_as_v2',
      'lb_add_del_as_v2: VNET_API_ERROR_NO_SUCH_ENTRY',
      'lb_as_v2_dump',
      'lb_add_del_vip_v2: VNET_API_ERROR_INVALID_MEMORY_SIZE',
      'lb_add_del_vip_v2',
    ]);
    expect(outcomes[0]?.result).toMatchObject({ retval: 0, client_index: 0x80000001, vpe_pid: VPE_PID });
    expect(outcomes[1]?.result).toMatchObject({ program: 'vpe', version: '26.10-rc0~374-gb575ec2c56d' });
    const dumps = outcomes.filter((o) => o.name.endsWith('_dump')).map((o) => (o.result as unknown[]).length);
    expect(dumps).toEqual([2, 1, 2]);
    const lastAsDump = outcomes[13]?.result as Array<{ flags: number }>;
    expect(lastAsDump.map((d) => d.flags)).toEqual([1, 0]);
  });
});
