// VppConnection details the client hides: context allocation, and one socket write per turn of requests.
import { createConnection } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlPingDef } from 'vpp-binapi-ts/memclnt';
import { ShowVersionDef, ShowVersionReplyDef } from 'vpp-binapi-ts/vpe';
import { VppConnection } from '../../src/vppapi/connection.js';
import { FakeVpp } from '../fakes/fake-vpp.js';
import { until } from './helpers.js';

let fake: FakeVpp | undefined;
let conn: VppConnection | undefined;
afterEach(async () => {
  await conn?.close();
  await fake?.stop();
});

describe('VppConnection contexts', () => {
  it('wraps from 0xffffffff to 1, never uses 0, and skips a context still pending', async () => {
    fake = await FakeVpp.start({
      handler: () => [
        {
          def: ShowVersionReplyDef,
          value: { retval: 0, program: 'vpe', version: '', build_date: '', build_directory: '' },
        },
      ],
    });
    const socket = createConnection({ path: fake.path });
    conn = new VppConnection(socket, { livenessIntervalMs: 0 });
    await new Promise((r) => socket.once('connect', r));
    await conn.handshake();
    const internals = conn as unknown as { nextContext: number };
    fake.dropReplies('show_version_reply', 1);
    internals.nextContext = 0xfffffffe;
    const stuck = conn.request(ShowVersionDef, {}, { timeoutMs: 5_000 }).catch((e: unknown) => e);
    internals.nextContext = 0xfffffffe;
    await conn.request(ShowVersionDef, {});
    await conn.request(ShowVersionDef, {});
    const contexts = fake.received.slice(1).map((f) => f.payload.readUInt32BE(6));
    expect(contexts).toEqual([0xfffffffe, 0xffffffff, 1]);
    await conn.close();
    expect(await stuck).toMatchObject({ code: 'ERR_VPP_DISCONNECTED' });
    await until(() => fake?.vpp.connections === 0, 'close');
  });
});

describe('VppConnection writes', () => {
  it('sends the requests made in one turn with a single socket write', async () => {
    fake = await FakeVpp.start();
    const socket = createConnection({ path: fake.path });
    conn = new VppConnection(socket, { livenessIntervalMs: 0 });
    await new Promise((r) => socket.once('connect', r));
    await conn.handshake();
    const writes: number[] = [];
    const write = socket.write.bind(socket);
    socket.write = ((chunk: Buffer, ...rest: never[]) => {
      writes.push(chunk.length);
      return write(chunk, ...rest);
    }) as typeof socket.write;
    await Promise.all(Array.from({ length: 100 }, () => conn?.request(ControlPingDef, {})));
    expect(writes).toEqual([100 * (16 + 10)]);
  });
});
