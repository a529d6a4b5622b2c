// The daemon's event fan-out for the control API: publish once, deliver to every subscriber, tap log lines.
import type { EventSubscription, SubscribeOptions } from '../control/daemon-port.js';
import { type ControlEvent, LOG_LEVEL_NAMES, type LogEvent, type LogLevelName } from '../control/protocol.js';

/** Log lines longer than this reach subscribers without their fields (the SSE frame cap is 64 KiB too). */
export const MAX_TAPPED_LINE_BYTES = 64 * 1024;

/** Fields of a pino line that become LogEvent's own fields, or are noise for a watcher. */
const LINE_KEYS = new Set(['level', 'time', 'msg', 'event', 'service', 'pid', 'hostname']);

interface Sub {
  readonly level: number | undefined;
  readonly fn: (e: ControlEvent) => void;
}

const rank = (l: LogLevelName) => LOG_LEVEL_NAMES.indexOf(l);

/**
 * ControlEventHub is the daemon's side of `ControlTarget.subscribe`: components publish events, the
 * hub hands each to every subscriber synchronously (the control server's subscribers only queue, so
 * this never waits for a reader). Log lines enter through `logStream()`, a pino destination to add
 * next to stdout with pino.multistream; the logger's level should be the lower of the daemon's own and
 * `minLogLevel`, and stdout filtered at the daemon's own (see docs/api.md, "Implementing the daemon side").
 */
export class ControlEventHub {
  readonly #subs = new Set<Sub>();
  readonly #onLevels: ((min: LogLevelName | undefined) => void) | undefined;

  constructor(onLevelsChange?: (min: LogLevelName | undefined) => void) {
    this.#onLevels = onLevelsChange;
  }

  get subscriberCount(): number {
    return this.#subs.size;
  }

  /** The lowest log level any subscriber asked for; undefined when none wants log lines. */
  get minLogLevel(): LogLevelName | undefined {
    let min: number | undefined;
    for (const s of this.#subs)
      if (s.level !== undefined && (min === undefined || s.level < min)) min = s.level;
    return min === undefined ? undefined : LOG_LEVEL_NAMES[min];
  }

  subscribe(opts: SubscribeOptions, fn: (e: ControlEvent) => void): EventSubscription {
    const before = this.minLogLevel;
    const sub: Sub = { level: opts.logLevel === undefined ? undefined : rank(opts.logLevel), fn };
    this.#subs.add(sub);
    this.#levelsChanged(before);
    return {
      close: () => {
        const prev = this.minLogLevel;
        if (this.#subs.delete(sub)) this.#levelsChanged(prev);
      },
    };
  }

  #levelsChanged(before: LogLevelName | undefined): void {
    const now = this.minLogLevel;
    if (now !== before) this.#onLevels?.(now);
  }

  /** publish delivers one event; a throwing listener is dropped rather than allowed to stop the others. */
  publish(e: ControlEvent): void {
    for (const s of this.#subs) {
      if (e.type === 'log' && (s.level === undefined || rank(e.level) < s.level)) continue;
      try {
        s.fn(e);
      } catch {
        this.#subs.delete(s);
      }
    }
  }

  /** logStream is a pino destination: each JSON line becomes a `log` event for subscribers wanting it. */
  logStream(): { write(line: string): void } {
    return {
      write: (line: string) => {
        const min = this.minLogLevel;
        if (min === undefined) return;
        const e = parseLogLine(line);
        if (e && rank(e.level) >= rank(min)) this.publish(e);
      },
    };
  }
}

/** parseLogLine turns one pino JSON line (level as label, ISO time) into a LogEvent; undefined if it is not one. */
export function parseLogLine(line: string): LogEvent | undefined {
  if (line.length > MAX_TAPPED_LINE_BYTES) {
    const level = /"level":"(\w+)"/.exec(line.slice(0, 200))?.[1] as LogLevelName | undefined;
    if (!level || !LOG_LEVEL_NAMES.includes(level)) return undefined;
    return {
      type: 'log',
      time: new Date().toISOString(),
      level,
      event: null,
      msg: '(line too long)',
      fields: { truncated: true },
    };
  }
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const level = o.level;
  if (typeof level !== 'string' || !LOG_LEVEL_NAMES.includes(level as LogLevelName)) return undefined;
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!LINE_KEYS.has(k)) fields[k] = v;
  return {
    type: 'log',
    time: typeof o.time === 'string' ? o.time : new Date().toISOString(),
    level: level as LogLevelName,
    event: typeof o.event === 'string' ? o.event : null,
    msg: typeof o.msg === 'string' ? o.msg : '',
    fields,
  };
}
