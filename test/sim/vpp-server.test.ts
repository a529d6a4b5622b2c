// The sim VPP server answers raw clients byte for byte as the captured real VPP did, quirks included.
import { createConnection, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ControlPingDef,
  ControlPingReplyDef,
  MemclntKeepaliveDef,
  SockclntCreateDef,
} from 'vpp-binapi-ts/memclnt';
import { ShowVersionDef, ShowVersionReplyDef } from 'vpp-binapi-ts/vpe';
import type { VppHandlerReply } from '../../src/sim/vpp-server.js';
import { FrameDecoder } from '../../src/vppapi/frame-decoder.js';
import { encodeFrame } from '../../src/vppapi/frame-writer.js';
import { type Capture, loadCapture } from '../fakes/captures.js';
import { FakeVpp } from '../fakes/fake-vpp.js';
import { until } from '../vppapi/helpers.js';

const VPE_PID = 18_513;
let fake: FakeVpp | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await fake?.stop();
  fake = undefined;
});

/** A raw client: what it received (headers and payloads) and whether the server closed it. */
interface Raw {
  socket: Socket;
  headers: Buffer[];
  payloads: Buffer[];
  ended: boolean;
}

async function rawClient(path: string): Promise<Raw> {
  const socket = createConnection({ path });
  sockets.push(socket);
  const raw: Raw = { socket, headers: [], payloads: [], ended: false };
  // Collect headers too: re-split the stream by hand alongside the decoder.
  let pending = Buffer.alloc(0);
  const decoder = new FrameDecoder();
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    decoder.push(chunk, (p) => {
      raw.headers.push(Buffer.from(pending.subarray(0, 16)));
      pending = pending.subarray(16 + p.length);
      raw.payloads.push(Buffer.from(p));
    });
  });
  socket.on('end', () => {
    raw.ended = true;
  });
  await new Promise((r) => socket.once('connect', r));
  return raw;
}

function capturedReplies(capture: Capture): Map<number, VppHandlerReply[]> {
  const byContext = new Map<number, VppHandlerReply[]>();
  for (const m of capture.messages) {
    const def = m.def;
    if (m.dir !== 'vpp_to_client' || !def || def.module === 'memclnt') continue;
    const value = def.decode(m.payload) as { context: number };
    byContext.set(value.context, [...(byContext.get(value.context) ?? []), { def, value }]);
  }
  return byContext;
}

describe('VppServer against the captures', () => {
  for (const file of ['raw_probe.json', 'lb_session.json'] as const) {
    it(`answers the ${file} client stream with the captured payloads, then closes`, async () => {
      const capture = loadCapture(file);
      const replies = capturedReplies(capture);
      fake = await FakeVpp.start({
        table: capture.table,
        vpePid: VPE_PID,
        handler: ({ context }) => replies.get(context) ?? [],
      });
      const raw = await rawClient(fake.path);
      raw.socket.write(capture.clientToVpp);
      await until(() => raw.ended, 'the server to close after sockclnt_delete');
      const expected = capture.messages.filter((m) => m.dir === 'vpp_to_client');
      expect(raw.payloads.map((p) => p.toString('hex'))).toEqual(
        expected.map((m) => m.payload.toString('hex')),
      );
      // Length and gc_mark_timestamp as VPP sent them; q is server garbage except in the handshake reply.
      expect(raw.headers.map((h) => h.subarray(8).toString('hex'))).toEqual(
        expected.map((m) => m.header.subarray(8).toString('hex')),
      );
      expect(raw.headers[0]?.toString('hex')).toBe(expected[0]?.header.toString('hex'));
    });
  }

  it('announces every one of the 850 captured messages under its captured ID', async () => {
    const capture = loadCapture('lb_session.json');
    fake = await FakeVpp.start({ table: capture.table });
    expect(fake.vpp.messageCount).toBe(850);
    for (const m of capture.messages) if (m.def) expect(fake.idOf(m.def)).toBe(m.msgId);
  });
});

describe('VppServer protocol', () => {
  async function registered(opts: Parameters<typeof FakeVpp.start>[0] = {}) {
    fake = fake ?? (await FakeVpp.start(opts));
    const raw = await rawClient(fake.path);
    raw.socket.write(encodeFrame(SockclntCreateDef.encode(15, { context: 7, name: 't' })));
    await until(() => raw.payloads.length === 1, 'handshake reply');
    const index = (raw.payloads[0] as Buffer).readUInt32BE(14);
    return { raw, index, fake };
  }

  it('hands out 0x80000000 | slot handles, reusing freed slots last-in first-out', async () => {
    const a = await registered();
    const b = await registered();
    expect([a.index, b.index]).toEqual([0x80000001, 0x80000002]);
    a.raw.socket.destroy();
    await until(() => a.fake.vpp.connections === 1, 'server to drop the first client');
    const c = await registered();
    expect(c.index).toBe(0x80000001);
  });

  it('runs a request with a wrong client_index but sends the reply nowhere; another valid index gets it', async () => {
    const seen: number[] = [];
    fake = await FakeVpp.start({
      handler: ({ def, clientIndex }) => {
        seen.push(clientIndex);
        return def.name === 'show_version'
          ? [
              {
                def: ShowVersionReplyDef,
                value: { retval: 0, program: 'vpe', version: '', build_date: '', build_directory: '' },
              },
            ]
          : undefined;
      },
    });
    const a = await registered();
    const b = await registered();
    const id = a.fake.idOf(ShowVersionDef);
    a.raw.socket.write(encodeFrame(ShowVersionDef.encode(id, { client_index: 0, context: 1 })));
    a.raw.socket.write(encodeFrame(ShowVersionDef.encode(id, { client_index: 0x80000009, context: 2 })));
    a.raw.socket.write(encodeFrame(ShowVersionDef.encode(id, { client_index: b.index, context: 3 })));
    a.raw.socket.write(encodeFrame(ShowVersionDef.encode(id, { client_index: a.index, context: 4 })));
    await until(() => a.raw.payloads.length === 2 && b.raw.payloads.length === 2, 'routed replies');
    expect(seen).toEqual([0, 0x80000009, b.index, a.index]);
    expect(a.fake.vpp.stats.misrouted).toBe(2);
    expect((a.raw.payloads[1] as Buffer).readUInt32BE(2)).toBe(4);
    expect((b.raw.payloads[1] as Buffer).readUInt32BE(2)).toBe(3);
  });

  it('stays silent for unknown IDs, truncated messages and declined ones, and stays usable', async () => {
    const { raw, fake } = await registered();
    const ping = fake.idOf(ControlPingDef);
    raw.socket.write(encodeFrame(Buffer.from('7fff8000000100000033', 'hex')));
    raw.socket.write(
      encodeFrame(ControlPingDef.encode(ping, { client_index: 0x80000001, context: 5 }).subarray(0, 8)),
    );
    raw.socket.write(
      encodeFrame(ShowVersionDef.encode(fake.idOf(ShowVersionDef), { client_index: 0x80000001, context: 6 })),
    );
    raw.socket.write(encodeFrame(ControlPingDef.encode(ping, { client_index: 0x80000001, context: 7 })));
    await until(() => raw.payloads.length === 2, 'ping reply');
    const reply = ControlPingReplyDef.decode(raw.payloads[1] as Buffer);
    expect(reply).toMatchObject({ context: 7, retval: 0, client_index: 0x80000001 });
    expect(fake.vpp.stats).toMatchObject({ unknown: 1, truncated: 1, unhandled: 1 });
  });

  it('answers memclnt_keepalive with the context echoed', async () => {
    const { raw, fake } = await registered();
    raw.socket.write(
      encodeFrame(
        MemclntKeepaliveDef.encode(fake.idOf(MemclntKeepaliveDef), { client_index: 0x80000001, context: 9 }),
      ),
    );
    await until(() => raw.payloads.length === 2, 'keepalive reply');
    expect((raw.payloads[1] as Buffer).readUInt16BE(0)).toBe(22);
    expect((raw.payloads[1] as Buffer).readUInt32BE(2)).toBe(9);
  });

  it('numbers all 850 generated messages by default, memclnt first; renumbering moves all but memclnt', async () => {
    fake = await FakeVpp.start({ renumberOffset: 100 });
    const plain = await FakeVpp.start();
    try {
      expect(plain.vpp.messageCount).toBe(850);
      expect(plain.idOf(SockclntCreateDef)).toBe(15);
      expect(fake.idOf(SockclntCreateDef)).toBe(15);
      expect(fake.idOf(ControlPingDef)).toBe(23);
      expect(fake.idOf(ShowVersionDef)).toBe(plain.idOf(ShowVersionDef) + 100);
    } finally {
      await plain.stop();
    }
  });
});
