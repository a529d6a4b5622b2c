// /v1/events: current-state replay, live events, filters, and the 1000-event bound on a slow reader.
import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/control/client.js';
import { matchesFilter } from '../../src/control/event-stream.js';
import type { ControlEvent, LogEvent, StreamEvent } from '../../src/control/protocol.js';
import { MAX_EVENTS_BEHIND } from '../../src/control/protocol.js';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const T = '2026-11-23T01:00:00.000Z';

function logEvent(
  i: number,
  level: LogEvent['level'] = 'info',
  fields: Record<string, unknown> = {},
): LogEvent {
  return { type: 'log', time: T, level, event: 'probe', msg: `line ${i}`, fields };
}

/** until polls a condition on the next ticks; bounded so a broken stream fails rather than hangs. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** watch opens a stream through the real client and collects events until stopped. */
function watch(query: Record<string, string | undefined> = {}) {
  const events: StreamEvent[] = [];
  const ac = new AbortController();
  const client = new ControlClient({ socketPath: h.socketPath });
  const done = client.events(query, (e) => events.push(e), { signal: ac.signal });
  return { events, stop: () => ac.abort(), done };
}

describe('replay and live events', () => {
  it('replays one synthetic event per backend and frontend, then delivers live events', async () => {
    const w = watch();
    await until(() => w.events.length === 7, 'replay');
    expect(
      w.events.map((e) => (e.type === 'backend' ? e.backend : e.type === 'frontend' ? e.frontend : e.type)),
    ).toEqual(['web1', 'web2', 'web3', 'web6a', 'web6b', 'web-v4', 'web-v6']);
    const web2 = w.events[1];
    expect(web2).toMatchObject({
      type: 'backend',
      from: 'down',
      to: 'down',
      synthetic: true,
      time: T,
      code: 'L4CON',
    });
    await until(() => h.target.subscriberCount === 1, 'subscription');
    const live: ControlEvent = {
      type: 'lb-change',
      time: T,
      vip: '198.51.100.1/32 tcp:80',
      frontend: 'web-v4',
      call: 'as-weight',
      address: '192.0.2.12',
      weight: 0,
      flush: true,
      ok: true,
      error: null,
    };
    h.target.emit(live);
    await until(() => w.events.length === 8, 'live event');
    expect(w.events[7]).toEqual(live);
    w.stop();
    expect(await w.done).toBe('aborted');
    await until(() => h.target.subscriberCount === 0 && h.server.subscriberCount === 0, 'unsubscribe');
  });

  it('an action made over the API reaches a watcher as a transition', async () => {
    const w = watch({ backend: 'web1' });
    // web1's state, and both frontends (a backend filter leaves events naming no backend through).
    await until(() => w.events.length === 3, 'replay');
    const r = await new ControlClient({ socketPath: h.socketPath }).post('/backends/web1/admin', {
      action: 'disable',
    });
    expect(r).toMatchObject({ changed: true });
    await until(() => w.events.length === 4, 'transition');
    expect(w.events[3]).toMatchObject({
      type: 'backend',
      backend: 'web1',
      from: 'up',
      to: 'disabled',
      synthetic: false,
    });
    w.stop();
  });

  it('filters by backend, frontend and log level', async () => {
    const w = watch({ backend: 'web2', frontend: 'web-v6', level: 'warn' });
    await until(() => w.events.length === 2, 'filtered replay');
    expect(w.events.map((e) => e.type)).toEqual(['backend', 'frontend']);
    await until(() => h.target.subscriberCount === 1, 'subscription');
    h.target.emit(logEvent(1, 'info'));
    h.target.emit(logEvent(2, 'error', { backend: 'web1' }));
    h.target.emit(logEvent(3, 'warn', { backend: 'web2' }));
    h.target.emit({
      type: 'frontend',
      time: T,
      frontend: 'web-v4',
      vip: 'x',
      from: 'up',
      to: 'down',
      activePool: null,
      synthetic: false,
    });
    h.target.emit({
      type: 'sync',
      time: T,
      trigger: 'sync',
      full: true,
      calls: 0,
      failed: 0,
      durationMs: 1,
      error: null,
    });
    await until(() => w.events.length === 4, 'live');
    expect(w.events.slice(2).map((e) => (e.type === 'log' ? e.msg : e.type))).toEqual(['line 3', 'sync']);
    w.stop();
  });

  it('matchesFilter: log lines only when a level is asked for', () => {
    expect(matchesFilter(logEvent(1, 'error'), {})).toBe(false);
    expect(matchesFilter(logEvent(1, 'error'), { level: 'trace' })).toBe(true);
    expect(matchesFilter(logEvent(1, 'debug'), { level: 'info' })).toBe(false);
  });

  it('closing the server ends every stream', async () => {
    const w = watch();
    await until(() => w.events.length === 7, 'replay');
    await h.server.close();
    expect(await w.done).toBe('closed');
  });
});

describe('a slow reader', () => {
  it('is dropped with a final overflow event once more than 1000 events behind; the daemon never waits', async () => {
    // A raw client that reads nothing until told: the socket pushes back, and events queue server-side.
    const chunks: string[] = [];
    let res: import('node:http').IncomingMessage | undefined;
    const req = request({ socketPath: h.socketPath, path: '/v1/events?level=trace', agent: false }, (r) => {
      res = r;
      r.pause();
    });
    req.end();
    await until(() => res !== undefined && h.target.subscriberCount === 1, 'stream');
    const fields = { pad: 'x'.repeat(500) };
    let sent = 0;
    // Burst until the server drops the subscriber; 20000 frames of 600 B are far beyond any socket buffer, 1000 of them under the byte bound.
    while (h.target.subscriberCount === 1 && sent < 20_000) h.target.emit(logEvent(sent++, 'info', fields));
    expect(h.target.subscriberCount).toBe(0);
    expect(h.server.subscriberCount).toBe(0);
    // It fell behind by exactly one more than the bound, after filling the socket's buffers.
    expect(sent).toBeGreaterThan(MAX_EVENTS_BEHIND);
    const ended = new Promise<void>((resolve) => res?.on('end', resolve));
    res?.setEncoding('utf8');
    res?.on('data', (c: string) => chunks.push(c));
    res?.resume();
    await ended;
    const frames = chunks.join('').split('\n\n').filter(Boolean);
    const last = frames[frames.length - 1] ?? '';
    expect(last.startsWith('event: overflow\n')).toBe(true);
    const overflow = JSON.parse(last.slice(last.indexOf('data: ') + 6));
    expect(overflow).toMatchObject({ type: 'overflow', queued: MAX_EVENTS_BEHIND + 1 });
    // What the reader got is a prefix of what was sent: nothing reordered, the queued tail dropped.
    const logs = frames.filter((f) => f.startsWith('event: log'));
    expect(logs.length).toBe(sent - (MAX_EVENTS_BEHIND + 1));
    expect(logs[logs.length - 1]).toContain(`"line ${logs.length - 1}"`);
  });

  it('a reader that keeps up gets everything, in order', async () => {
    const w = watch({ level: 'info' });
    await until(() => w.events.length === 7 && h.target.subscriberCount === 1, 'replay');
    for (let batch = 0; batch < 30; batch++) {
      for (let i = 0; i < 100; i++) h.target.emit(logEvent(batch * 100 + i));
      await new Promise((r) => setTimeout(r, 1));
    }
    await until(() => w.events.length === 7 + 3000, 'all events');
    expect(w.events.slice(7).every((e, i) => e.type === 'log' && e.msg === `line ${i}`)).toBe(true);
    w.stop();
  });
});
