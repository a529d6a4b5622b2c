// SseSubscriber's bound in isolation: a socket that never drains, replay exempt, overflow at 1000 live events.
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it, vi } from 'vitest';
import { SseSubscriber, StreamBudget, sseFrame } from '../../src/control/event-stream.js';
import { type BackendEvent, type LogEvent, MAX_BYTES_BEHIND } from '../../src/control/protocol.js';

/** A response whose socket is always full: every write after the first reports back-pressure. */
class StuckResponse extends EventEmitter {
  readonly written: string[] = [];
  ended: string | undefined;
  destroyed = false;
  write(chunk: string): boolean {
    this.written.push(chunk);
    return false;
  }
  end(chunk?: string): void {
    this.ended = chunk ?? '';
  }
  destroy(): void {
    this.destroyed = true;
  }
}

const backend = (i: number): BackendEvent => ({
  type: 'backend',
  time: 't',
  backend: `b${i}`,
  address: '192.0.2.1',
  from: 'up',
  to: 'up',
  code: null,
  reason: 'current state',
  health: 4,
  synthetic: true,
});
const log = (i: number): LogEvent => ({
  type: 'log',
  time: 't',
  level: 'info',
  event: null,
  msg: `m${i}`,
  fields: {},
});

describe('SseSubscriber', () => {
  it('does not count a large replay as falling behind, and drops at the 1001st queued live event', () => {
    vi.useFakeTimers();
    try {
      const res = new StuckResponse();
      let closed = 0;
      const s = new SseSubscriber(res as unknown as ServerResponse, { level: 'info' }, () => closed++);
      s.replay(Array.from({ length: 1500 }, (_, i) => backend(i)));
      expect(s.closed).toBe(false);
      for (let i = 0; i < 1000; i++) s.send(log(i));
      expect(s.closed).toBe(false);
      expect(s.behind).toBe(1000);
      s.send(log(1000));
      expect(s.closed).toBe(true);
      expect(closed).toBe(1);
      expect(s.queued).toBe(0);
      expect(res.ended).toContain('event: overflow');
      expect(res.ended).toContain('"queued":1001');
      // A reader that never takes the final event is cut off.
      vi.advanceTimersByTime(2000);
      expect(res.destroyed).toBe(true);
      // Nothing more is written after the drop.
      const n = res.written.length;
      s.send(log(2000));
      expect(res.written.length).toBe(n);
    } finally {
      vi.useRealTimers();
    }
  });

  it('drains its queue in order when the socket accepts again', () => {
    const res = new StuckResponse();
    const s = new SseSubscriber(res as unknown as ServerResponse, { level: 'info' }, () => undefined);
    for (let i = 0; i < 5; i++) s.send(log(i));
    expect(res.written).toEqual([sseFrame(log(0))]);
    res.write = (c: string) => {
      res.written.push(c);
      return true;
    };
    res.emit('drain');
    expect(res.written).toEqual([0, 1, 2, 3, 4].map((i) => sseFrame(log(i))));
    expect(s.queued).toBe(0);
    s.close();
  });

  it('sends a keepalive comment on an idle stream', () => {
    vi.useFakeTimers();
    try {
      const res = new StuckResponse();
      res.write = (c: string) => {
        res.written.push(c);
        return true;
      };
      const s = new SseSubscriber(res as unknown as ServerResponse, {}, () => undefined);
      vi.advanceTimersByTime(15_000);
      expect(res.written).toEqual([': keepalive\n\n']);
      s.close();
      vi.advanceTimersByTime(60_000);
      expect(res.written).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('drops a subscriber more than 1 MiB behind although it is far under 1000 events', () => {
    const res = new StuckResponse();
    const s = new SseSubscriber(res as unknown as ServerResponse, { level: 'info' }, () => undefined);
    // Log lines of ~60 kB, as a refused reload with hundreds of errors once produced.
    const big = (i: number): LogEvent => ({ ...log(i), fields: { errors: 'e'.repeat(60_000) } });
    let sent = 0;
    while (!s.closed && sent < 1000) s.send(big(sent++));
    expect(s.closed).toBe(true);
    // The first frame went to the socket; the queue held about 1 MiB before the drop.
    expect(sent).toBe(Math.floor(MAX_BYTES_BEHIND / sseFrame(big(0)).length) + 2);
    expect(s.behindBytes).toBe(0);
    expect(res.ended).toContain('event: overflow');
    expect(res.ended).toContain(`more than ${MAX_BYTES_BEHIND} bytes behind`);
  });

  it('shares one byte budget among subscribers and gives bytes back when a queue drains or drops', () => {
    const budget = new StreamBudget(100_000);
    const mk = () => {
      const res = new StuckResponse();
      const s = new SseSubscriber(res as unknown as ServerResponse, { level: 'info' }, () => undefined, {
        total: budget,
      });
      return { res, s };
    };
    const a = mk();
    const b = mk();
    const e = (i: number): LogEvent => ({ ...log(i), fields: { pad: 'p'.repeat(10_000) } });
    for (let i = 0; i < 5; i++) a.s.send(e(i));
    expect(budget.queued).toBe(a.s.behindBytes);
    expect(a.s.behindBytes).toBeGreaterThan(40_000);
    let i = 0;
    while (!b.s.closed && i < 100) b.s.send(e(i++));
    // b is the one that would take the total past the budget; a keeps its stream.
    expect(b.s.closed).toBe(true);
    expect(b.res.ended).toContain('past 100000 bytes');
    expect(a.s.closed).toBe(false);
    expect(budget.queued).toBe(a.s.behindBytes);
    a.res.write = (c: string) => {
      a.res.written.push(c);
      return true;
    };
    a.res.emit('drain');
    expect(budget.queued).toBe(0);
    a.s.close();
  });

  it('serialises an event once however many subscribers take it', () => {
    const subs = Array.from({ length: 50 }, () => {
      const res = new StuckResponse();
      return new SseSubscriber(res as unknown as ServerResponse, { level: 'info' }, () => undefined);
    });
    const spy = vi.spyOn(JSON, 'stringify');
    try {
      const e = log(1);
      for (const s of subs) s.send(e);
      for (const s of subs) s.send(e);
      expect(spy.mock.calls.filter(([v]) => v === e)).toHaveLength(1);
    } finally {
      spy.mockRestore();
      for (const s of subs) s.close();
    }
  });
});
