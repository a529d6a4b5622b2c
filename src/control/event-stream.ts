// Server-Sent Events for /v1/events: filters, SSE framing, and the bounded per-subscriber queue.
import type { ServerResponse } from 'node:http';
import {
  type ControlEvent,
  type EventsQuery,
  LOG_LEVEL_NAMES,
  type LogLevelName,
  MAX_EVENTS_BEHIND,
  type OverflowEvent,
  type StreamEvent,
} from './protocol.js';

/** Keepalive comment period: lets both ends notice a dead peer on an idle stream. */
export const SSE_HEARTBEAT_MS = 15_000;

/** After an overflow, a reader that does not take the final event within this is cut off. */
export const OVERFLOW_LINGER_MS = 2000;

/** A log event's fields are dropped from the frame beyond this size, so one line cannot bloat a queue. */
export const MAX_EVENT_FRAME_BYTES = 64 * 1024;

function levelIndex(l: LogLevelName): number {
  return LOG_LEVEL_NAMES.indexOf(l);
}

/**
 * matchesFilter applies `?backend=&frontend=&level=`. A name filter drops events that name another
 * backend (frontend); events that name none pass it. Log events pass only when `level` is given and
 * the line is at that level or above.
 */
export function matchesFilter(e: StreamEvent, q: EventsQuery): boolean {
  if (e.type === 'overflow') return true;
  if (e.type === 'log') {
    if (q.level === undefined || levelIndex(e.level) < levelIndex(q.level)) return false;
    const b = e.fields.backend;
    const f = e.fields.frontend;
    if (q.backend !== undefined && typeof b === 'string' && b !== q.backend) return false;
    if (q.frontend !== undefined && typeof f === 'string' && f !== q.frontend) return false;
    return true;
  }
  if (q.backend !== undefined && e.type === 'backend' && e.backend !== q.backend) return false;
  if (q.frontend !== undefined && (e.type === 'frontend' || e.type === 'lb-change')) {
    if (e.frontend !== null && e.frontend !== q.frontend) return false;
  }
  return true;
}

/** sseFrame renders one event as an SSE frame: `event:` is the type, `data:` the JSON (one line). */
export function sseFrame(e: StreamEvent): string {
  let data = JSON.stringify(e);
  if (data.length > MAX_EVENT_FRAME_BYTES && e.type === 'log') {
    data = JSON.stringify({ ...e, fields: { truncated: true } });
  }
  return `event: ${e.type}\ndata: ${data}\n\n`;
}

/**
 * SseSubscriber writes frames to one response. While the socket accepts writes, frames go straight
 * out; once it pushes back, frames wait in a queue, and a subscriber more than `limit` frames behind
 * is sent a final `overflow` event and dropped. Memory per subscriber is thus bounded by the queue
 * limit plus the socket's high-water mark, and the daemon never waits for a reader.
 */
export class SseSubscriber {
  readonly #res: ServerResponse;
  readonly #query: EventsQuery;
  readonly #limit: number;
  /** Replay frames still in the queue: they do not count as falling behind. */
  #exempt = 0;
  readonly #onClose: () => void;
  readonly #queue: string[] = [];
  #head = 0;
  #blocked = false;
  #closed = false;
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(
    res: ServerResponse,
    query: EventsQuery,
    onClose: () => void,
    limit = MAX_EVENTS_BEHIND,
    heartbeatMs = SSE_HEARTBEAT_MS,
  ) {
    this.#res = res;
    this.#query = query;
    this.#limit = limit;
    this.#onClose = onClose;
    res.on('drain', () => this.#flush());
    res.on('close', () => this.close());
    this.#heartbeat = setInterval(() => {
      if (!this.#blocked && !this.#closed) this.#blocked = !this.#res.write(': keepalive\n\n');
    }, heartbeatMs);
    this.#heartbeat.unref();
  }

  /** Frames waiting for the socket. */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /** Live events waiting for the socket: what the bound applies to. */
  get behind(): number {
    return this.queued - this.#exempt;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** send delivers one event if it passes this subscriber's filter; never blocks, never throws. */
  send(e: ControlEvent, frame?: string): void {
    if (this.#closed || !matchesFilter(e, this.#query)) return;
    const f = frame ?? sseFrame(e);
    if (!this.#blocked) {
      this.#blocked = !this.#res.write(f);
      return;
    }
    this.#queue.push(f);
    if (this.behind > this.#limit) this.#overflow();
  }

  /** replay sends the current-state events; they do not count toward the limit on falling behind. */
  replay(events: readonly ControlEvent[]): void {
    for (const e of events) {
      const before = this.queued;
      this.send(e);
      if (this.queued > before) this.#exempt++;
    }
  }

  #flush(): void {
    this.#blocked = false;
    while (!this.#blocked && this.#head < this.#queue.length && !this.#closed) {
      const f = this.#queue[this.#head] as string;
      this.#queue[this.#head] = '';
      this.#head++;
      if (this.#exempt > 0) this.#exempt--;
      this.#blocked = !this.#res.write(f);
    }
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
  }

  #overflow(): void {
    const queued = this.behind;
    const e: OverflowEvent = {
      type: 'overflow',
      time: new Date().toISOString(),
      queued,
      message: `subscriber fell more than ${this.#limit} events behind and was disconnected`,
    };
    this.#queue.length = 0;
    this.#head = 0;
    this.#exempt = 0;
    this.#stop();
    // The final frame goes behind what the socket already holds; a reader that never takes it is cut off.
    this.#res.end(sseFrame(e));
    const linger = setTimeout(() => this.#res.destroy(), OVERFLOW_LINGER_MS);
    linger.unref();
    this.#res.once('close', () => clearTimeout(linger));
  }

  /** end finishes the stream politely (daemon shutdown). */
  end(): void {
    if (this.#closed) return;
    this.#stop();
    this.#res.end();
  }

  /** close drops the subscriber without writing (the peer went away). */
  close(): void {
    if (this.#closed) return;
    this.#stop();
    this.#queue.length = 0;
    this.#head = 0;
  }

  #stop(): void {
    this.#closed = true;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    this.#onClose();
  }
}
