// Control API benchmarks: request round trips on the unix socket, SSE delivery, and the cost of an event to the daemon.
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { ControlClient } from '../src/control/client.js';
import { SseSubscriber, sseFrame } from '../src/control/event-stream.js';
import type { LogEvent } from '../src/control/protocol.js';
import { startHarness } from '../test/control/harness.js';
import { measure, opsPerSecond, printTable } from './harness.js';

const event = (i: number): LogEvent => ({
  type: 'log',
  time: '2026-11-23T01:00:00.000Z',
  level: 'info',
  event: 'lb-change',
  msg: `lb_as_set_weight 198.51.100.1/32 tcp:80 as 192.0.2.12 weight 50 → 0 flush (${i})`,
  fields: {
    component: 'reconciler',
    vip: '198.51.100.1/32 tcp:80',
    as: '192.0.2.12',
    weight: 0,
    flush: true,
  },
});

/** A response whose socket never drains: every event after the first waits in the subscriber's queue. */
class Stuck extends EventEmitter {
  write(): boolean {
    return false;
  }
  end(): void {}
  destroy(): void {}
}

export async function run(): Promise<void> {
  const h = await startHarness();
  const client = new ControlClient({ socketPath: h.socketPath });
  const subs = () => h.target.subscriberCount;
  const rows = [];
  rows.push(
    await measure('GET /v1/frontends round trips (sequential)', 'req/s', 5, async () => {
      const n = 200;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) await client.get('/frontends');
      return (n * 1e9) / Number(process.hrtime.bigint() - t0);
    }),
  );
  rows.push(
    await measure('SSE delivery to one reading subscriber', 'events/s', 5, async () => {
      const n = 20_000;
      let got = 0;
      let overflow = false;
      const ac = new AbortController();
      const done = client.events(
        { level: 'info' },
        (e) => {
          if (e.type === 'log') got++;
          if (e.type === 'overflow') overflow = true;
        },
        { signal: ac.signal },
      );
      while (subs() !== 1) await new Promise((r) => setTimeout(r, 1));
      const t0 = process.hrtime.bigint();
      // Bursts of 200, never more than 600 ahead of the reader: below the 1000-event bound.
      for (let i = 0; i < n; i += 200) {
        for (let j = i; j < i + 200; j++) h.target.emit(event(j));
        while (i + 200 - got > 600 && !overflow) await new Promise((r) => setImmediate(r));
      }
      while (got < n && !overflow) await new Promise((r) => setImmediate(r));
      if (overflow) throw new Error('the bench reader fell behind');
      const rate = (n * 1e9) / Number(process.hrtime.bigint() - t0);
      ac.abort();
      await done;
      // The next run must not start while the server still holds this subscription.
      while (subs() !== 0) await new Promise((r) => setTimeout(r, 1));
      return rate;
    }),
  );
  rows.push(
    await measure('event into a stalled subscriber (filter, frame, queue)', 'events/s', 5, () => {
      const s = new SseSubscriber(
        new Stuck() as unknown as ServerResponse,
        { level: 'info' },
        () => undefined,
        { events: 1_000_000, bytes: Number.POSITIVE_INFINITY },
      );
      const rate = opsPerSecond(100_000, (i) => s.send(event(i)));
      s.close();
      return rate;
    }),
  );
  rows.push(
    await measure('sseFrame (JSON frame of one event)', 'frames/s', 5, () =>
      opsPerSecond(100_000, (i) => sseFrame(event(i))),
    ),
  );
  await h.close();
  printTable('control', rows);
}
