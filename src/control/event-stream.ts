// Server-Sent Events for /v1/events: filters, SSE framing, and the bounded per-subscriber queue.
import type { ServerResponse } from 'node:http';
import {
  type ControlEvent,
  type EventsQuery,
  LOG_LEVEL_NAMES,
  type LogLevelName,
  MAX_BYTES_BEHIND,
  MAX_EVENTS_BEHIND,
  MAX_STREAM_BYTES_TOTAL,
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
 * Frames already rendered, keyed by the event object: the hub hands the same object to every
 * subscriber, so each event is serialised once and every queue holds a reference to one string.
 */
const frames = new WeakMap<StreamEvent, string>();

/** sharedFrame is sseFrame rendered once per event object. */
export function sharedFrame(e: StreamEvent): string {
  let f = frames.get(e);
  if (f === undefined) {
    f = sseFrame(e);
    frames.set(e, f);
  }
  return f;
}

/** StreamBudget is the byte bound shared by every subscriber of one server. */
export class StreamBudget {
  readonly limit: number;
  /** Bytes of live frames queued by all subscribers (a shared frame counts once per queue). */
  queued = 0;
  constructor(limit = MAX_STREAM_BYTES_TOTAL) {
    this.limit = limit;
  }
}

/** Bounds of one subscriber's queue; the defaults are the documented ones. */
export interface SubscriberLimits {
  /** Live frames queued before `overflow` (default MAX_EVENTS_BEHIND). */
  readonly events?: number;
  /** Bytes of live frames queued before `overflow` (default MAX_BYTES_BEHIND). */
  readonly bytes?: number;
  /** Shared with the server's other subscribers; none by default. */
  readonly total?: StreamBudget;
}

/**
 * SseSubscriber writes frames to one response. While the socket accepts writes, frames go straight
 * out; once it pushes back, frames wait in a queue, and a subscriber more than `limit` frames behind
 * is sent a final `overflow` event and dropped; so is one whose queued frames exceed its byte bound,
 * or whose frame would take all subscribers together past the shared budget. Memory per subscriber
 * is thus bounded by those limits plus the socket's high-water mark, and the daemon never waits.
 */
export class SseSubscriber {
  readonly #res: ServerResponse;
  readonly #query: EventsQuery;
  readonly #limit: number;
  readonly #byteLimit: number;
  readonly #total: StreamBudget | undefined;
  /** Bytes of the live frames in the queue (replay frames are exempt, as from the count). */
  #bytes = 0;
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
    limits: SubscriberLimits = {},
    heartbeatMs = SSE_HEARTBEAT_MS,
  ) {
    this.#res = res;
    this.#query = query;
    this.#limit = limits.events ?? MAX_EVENTS_BEHIND;
    this.#byteLimit = limits.bytes ?? MAX_BYTES_BEHIND;
    this.#total = limits.total;
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

  /** Bytes of live frames waiting for the socket. */
  get behindBytes(): number {
    return this.#bytes;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** send delivers one event if it passes this subscriber's filter; never blocks, never throws. */
  send(e: ControlEvent): void {
    this.#send(e, false);
  }

  /** replay sends the current-state events; they do not count toward the limits on falling behind. */
  replay(events: readonly ControlEvent[]): void {
    for (const e of events) this.#send(e, true);
  }

  #send(e: ControlEvent, exempt: boolean): void {
    if (this.#closed || !matchesFilter(e, this.#query)) return;
    const f = sharedFrame(e);
    if (!this.#blocked) {
      this.#blocked = !this.#res.write(f);
      return;
    }
    this.#queue.push(f);
    if (exempt) {
      this.#exempt++;
      return;
    }
    if (this.behind > this.#limit) {
      this.#overflow(`fell more than ${this.#limit} events behind`);
      return;
    }
    this.#bytes += f.length;
    if (this.#total) this.#total.queued += f.length;
    if (this.#bytes > this.#byteLimit) {
      this.#overflow(`fell more than ${this.#byteLimit} bytes behind`);
    } else if (this.#total && this.#total.queued > this.#total.limit) {
      this.#overflow(`took the subscribers' queues past ${this.#total.limit} bytes`);
    }
  }

  /** #release forgets the byte count of frames leaving the queue (written or dropped). */
  #release(bytes: number): void {
    this.#bytes -= bytes;
    if (this.#total) this.#total.queued -= bytes;
  }

  #flush(): void {
    this.#blocked = false;
    while (!this.#blocked && this.#head < this.#queue.length && !this.#closed) {
      const f = this.#queue[this.#head] as string;
      this.#queue[this.#head] = '';
      this.#head++;
      // Replay frames sit at the head of the queue: nothing live is published before the replay.
      if (this.#exempt > 0) this.#exempt--;
      else this.#release(f.length);
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

  #overflow(why: string): void {
    const queued = this.behind;
    const e: OverflowEvent = {
      type: 'overflow',
      time: new Date().toISOString(),
      queued,
      message: `subscriber ${why} and was disconnected`,
    };
    this.#dropQueue();
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
    this.#dropQueue();
  }

  #dropQueue(): void {
    this.#release(this.#bytes);
    this.#queue.length = 0;
    this.#head = 0;
    this.#exempt = 0;
  }

  #stop(): void {
    this.#closed = true;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    this.#onClose();
  }
}
