// Every fault the fake VPP can inject ends in the documented error, with nothing left pending.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ControlPingDef } from 'vpp-binapi-ts/memclnt';
import { ShowVersionDef, ShowVersionReplyDef } from 'vpp-binapi-ts/vpe';
import type { VppClient } from '../../src/vppapi/client.js';
import { FakeVpp } from '../fakes/fake-vpp.js';
import { connectClient, FAKE_TIMERS, until } from './helpers.js';

let fake: FakeVpp;
let client: VppClient;

const showVersion = () => [
  {
    def: ShowVersionReplyDef,
    value: { retval: 0, program: 'vpe', version: 'x', build_date: '', build_directory: '' },
  },
];

beforeEach(async () => {
  vi.useFakeTimers({ toFake: [...FAKE_TIMERS.toFake] });
  fake = await FakeVpp.start({
    handler: ({ def }) => (def.name === 'show_version' ? showVersion() : undefined),
  });
  ({ client } = await connectClient(fake, { livenessIntervalMs: 10_000, backoff: { random: () => 0.5 } }));
});

afterEach(async () => {
  await client.close();
  await fake.stop();
  vi.useRealTimers();
});

/** settle records how a promise ends without ever leaving a rejection unhandled. */
function settle<T>(p: Promise<T>): { done: boolean; value?: T; error?: unknown } {
  const s: { done: boolean; value?: T; error?: unknown } = { done: false };
  p.then(
    (v) => {
      s.done = true;
      s.value = v;
    },
    (e: unknown) => {
      s.done = true;
      s.error = e;
    },
  );
  return s;
}

describe('VppClient faults', () => {
  it('times out after 1 s by default when the reply is dropped', async () => {
    fake.dropReplies('show_version_reply', 1);
    const r = settle(client.request(ShowVersionDef, {}));
    await until(() => fake.received.length >= 2, 'request to reach the fake');
    await vi.advanceTimersByTimeAsync(999);
    expect(r.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(r.error).toMatchObject({ code: 'ERR_VPP_TIMEOUT', messageName: 'show_version', timeoutMs: 1000 });
    expect(client.inFlight).toBe(0);
    expect(await client.request(ShowVersionDef, {})).toMatchObject({ program: 'vpe' });
  });

  it('times out a message the fake does not know, as VPP stays silent', async () => {
    fake.setHandler(() => undefined);
    const r = settle(client.request(ShowVersionDef, {}, { timeoutMs: 200 }));
    await until(() => fake.vpp.stats.unhandled === 1, 'fake to ignore the request');
    await vi.advanceTimersByTimeAsync(200);
    expect(r.error).toMatchObject({ code: 'ERR_VPP_TIMEOUT' });
  });

  it('drops and counts a late reply for a timed-out request, never delivering it', async () => {
    fake.delayReplies('show_version_reply', 1500, 1);
    const r = settle(client.request(ShowVersionDef, {}));
    await until(() => fake.received.length >= 2, 'request to reach the fake');
    await vi.advanceTimersByTimeAsync(1000);
    expect(r.error).toMatchObject({ code: 'ERR_VPP_TIMEOUT' });
    await vi.advanceTimersByTimeAsync(500);
    await until(() => client.stats.lateReplies === 1, 'late reply');
    expect(client.stats.unexpected).toBe(0);
    expect(client.inFlight).toBe(0);
    expect(await client.request(ShowVersionDef, {})).toMatchObject({ program: 'vpe' });
  });

  it('delivers a delayed reply that is still within the timeout', async () => {
    fake.delayReplies('show_version_reply', 800, 1);
    const r = settle(client.request(ShowVersionDef, {}));
    await until(() => fake.received.length >= 2, 'request to reach the fake');
    await vi.advanceTimersByTimeAsync(800);
    await until(() => r.done, 'reply');
    expect(r.value).toMatchObject({ program: 'vpe' });
  });

  it('rejects every pending request with ERR_VPP_DISCONNECTED when VPP closes mid-frame, then reconnects', async () => {
    fake.delayReplies('show_version_reply', 100, 1);
    fake.closeMidFrame('control_ping_reply');
    const calls = [
      settle(client.request(ShowVersionDef, {})),
      settle(client.request(ControlPingDef, {})),
      settle(client.request(ShowVersionDef, {})),
    ];
    await until(() => calls.every((c) => c.done), 'all calls to end');
    for (const c of calls) expect(c.error).toMatchObject({ code: 'ERR_VPP_DISCONNECTED' });
    expect(client.inFlight).toBe(0);
    expect(client.state).toBe('disconnected');
    await vi.advanceTimersByTimeAsync(100);
    await until(() => client.state === 'connected', 'reconnect');
    expect(await client.request(ShowVersionDef, {})).toMatchObject({ program: 'vpe' });
  });

  it('reassembles replies sent one byte per write', async () => {
    fake.oneByteWrites();
    const replies = await Promise.all([
      client.request(ShowVersionDef, {}),
      client.request(ControlPingDef, {}),
    ]);
    expect(replies[0]).toMatchObject({ program: 'vpe' });
    expect(replies[1]).toMatchObject({ retval: 0 });
  });

  it('fails only the call whose reply VPP truncated, with ERR_DECODE naming the message, field and sizes', async () => {
    fake.dropReplies('show_version_reply', 1);
    const r = settle(client.request(ShowVersionDef, {}));
    await until(() => fake.received.length >= 2, 'request to reach the fake');
    const req = fake.received[fake.received.length - 1] as { payload: Buffer };
    const context = req.payload.readUInt32BE(6);
    // A show_version_reply cut after its retval: the strings that must follow are missing.
    const payload = Buffer.alloc(10);
    payload.writeUInt16BE(fake.idOf(ShowVersionReplyDef), 0);
    payload.writeUInt32BE(context, 2);
    payload.writeInt32BE(0, 6);
    const header = Buffer.alloc(16);
    header.writeUInt32BE(payload.length, 8);
    fake.sendGarbage(Buffer.concat([header, payload]));
    await until(() => r.done, 'request to fail');
    expect(r.error).toMatchObject({ code: 'ERR_DECODE', messageName: 'show_version' });
    expect((r.error as Error).message).toMatch(/show_version_reply.*program/);
    expect(((r.error as Error).cause as { needed: number; available: number }).available).toBe(0);
    expect(client.inFlight).toBe(0);
    expect(client.state).toBe('connected');
    expect(await client.request(ShowVersionDef, {})).toMatchObject({ program: 'vpe' });
  });

  it('drops the connection on garbage announcing an oversized frame, naming both sizes', async () => {
    const r = settle(client.request(ShowVersionDef, {}));
    fake.hang();
    await until(() => fake.received.length >= 2, 'request to reach the fake');
    const events: Array<{ state: string; reason: string; error?: Error }> = [];
    client.onState((e) => events.push(e));
    fake.sendGarbage();
    await until(() => r.done, 'request to fail');
    expect(r.error).toMatchObject({ code: 'ERR_VPP_DISCONNECTED' });
    expect((r.error as Error).message).toMatch(/2147483647 bytes exceeds the limit of 67108864 bytes/);
    expect(events[0]).toMatchObject({ state: 'disconnected' });
    expect(events[0]?.error).toMatchObject({ code: 'ERR_FRAME_TOO_LARGE' });
    expect(client.inFlight).toBe(0);
  });

  it('marks a hung VPP dead after three unanswered liveness pings, rejecting what is pending', async () => {
    fake.hang();
    const r = settle(client.request(ShowVersionDef, {}, { timeoutMs: 60_000 }));
    const events: Array<{ state: string; reason: string }> = [];
    client.onState((e) => events.push(e));
    for (let i = 0; i < 3; i++) {
      await vi.advanceTimersByTimeAsync(10_000);
      await until(() => fake.received.filter((f) => f.msgId === 23).length >= i + 1, 'ping');
    }
    expect(client.state).toBe('connected');
    await vi.advanceTimersByTimeAsync(10_000);
    await until(() => r.done, 'pending request to be rejected');
    expect(r.error).toMatchObject({ code: 'ERR_VPP_DISCONNECTED' });
    expect(events[0]).toMatchObject({ state: 'disconnected' });
    expect(events[0]?.reason).toMatch(/3 control_ping replies missed/);
    expect(client.inFlight).toBe(0);
  });

  it('stays connected while liveness pings are answered', async () => {
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(10_000);
      await until(() => fake.received.filter((f) => f.msgId === 23).length >= i + 1, 'ping');
    }
    await until(() => client.inFlight === 0, 'ping replies');
    expect(client.state).toBe('connected');
  });

  it('reconnects after a restart with renumbered IDs and uses the new IDs', async () => {
    const before = fake.idOf(ShowVersionDef);
    await client.request(ShowVersionDef, {});
    await fake.restart({ renumberOffset: 7 });
    await until(() => client.state === 'disconnected', 'disconnect');
    await vi.advanceTimersByTimeAsync(100);
    await until(() => client.state === 'connected', 'reconnect');
    const after = fake.idOf(ShowVersionDef);
    expect(after).toBe(before + 7);
    expect(await client.request(ShowVersionDef, {})).toMatchObject({ program: 'vpe' });
    expect(fake.received.map((f) => f.msgId)).toEqual([15, after]);
  });

  it('backs off while the socket path is gone, and connects once VPP is back', async () => {
    await fake.vpp.close();
    await until(() => client.state === 'disconnected', 'disconnect');
    const delays: string[] = [];
    client.onState((e) => {
      if (e.state === 'disconnected') delays.push(e.reason.replace(/.*retrying in /, ''));
    });
    for (const ms of [100, 160, 256, 410]) {
      await vi.advanceTimersByTimeAsync(ms);
      await until(() => delays.length > 0 && client.state === 'disconnected', 'retry to fail');
    }
    expect(delays).toEqual(['160 ms', '256 ms', '410 ms', '655 ms']);
    await fake.restart();
    await vi.advanceTimersByTimeAsync(655);
    await until(() => client.state === 'connected', 'reconnect');
  });

  it('fails calls at once while disconnected', async () => {
    await fake.vpp.close();
    await until(() => client.state === 'disconnected', 'disconnect');
    await expect(client.request(ControlPingDef, {})).rejects.toMatchObject({ code: 'ERR_VPP_DISCONNECTED' });
  });

  it('gives up a handshake VPP never answers after 3 s, then retries', async () => {
    const events: Array<{ state: string; reason: string }> = [];
    client.onState((e) => events.push(e));
    fake.hang();
    await fake.restart();
    fake.hang();
    await until(() => client.state === 'disconnected', 'disconnect');
    await vi.advanceTimersByTimeAsync(100);
    await until(() => client.state === 'connecting' && fake.received.length === 1, 'handshake sent');
    await vi.advanceTimersByTimeAsync(3_000);
    await until(() => client.state === 'disconnected', 'handshake to time out');
    expect(events.at(-1)?.reason).toMatch(/no sockclnt_create_reply within 3000 ms/);
  });

  it('closes within the close timeout when VPP does not answer sockclnt_delete', async () => {
    fake.hang();
    const closed = settle(client.close());
    await until(() => fake.received.some((f) => f.msgId === 17), 'sockclnt_delete sent');
    await vi.advanceTimersByTimeAsync(499);
    expect(closed.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await until(() => closed.done, 'close');
    expect(client.state).toBe('closed');
    expect(client.inFlight).toBe(0);
  });

  it('rejects calls in flight when the client closes, and refuses new ones', async () => {
    fake.hang();
    const r = settle(client.request(ShowVersionDef, {}, { timeoutMs: 60_000 }));
    const closed = client.close();
    await vi.advanceTimersByTimeAsync(500);
    await closed;
    expect(r.error).toMatchObject({ code: 'ERR_VPP_DISCONNECTED' });
    await expect(client.request(ControlPingDef, {})).rejects.toMatchObject({ code: 'ERR_VPP_DISCONNECTED' });
  });
});
