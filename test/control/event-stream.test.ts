// SseSubscriber's bound in isolation: a socket that never drains, replay exempt, overflow at 1000 live events.
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it, vi } from 'vitest';
import { SseSubscriber, sseFrame } from '../../src/control/event-stream.js';
import type { BackendEvent, LogEvent } from '../../src/control/protocol.js';

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
});
