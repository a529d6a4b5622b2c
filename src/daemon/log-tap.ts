// The log destination: JSON lines to stdout, and a copy to control-API subscribers that asked for log events.
import type { LogLevelName } from '../control/protocol.js';

const LEVEL_NUMBER: Record<LogLevelName, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50 };

export interface TappedLine {
  readonly level: LogLevelName;
  readonly time: string;
  readonly event: string | null;
  readonly msg: string;
  readonly fields: Record<string, unknown>;
}

/**
 * LogTap is a pino destination. Lines always go to `out`; they are parsed only while a subscriber wants
 * log events, so an idle daemon pays nothing for the feature.
 */
export class LogTap {
  readonly #out: (line: string) => void;
  readonly #subscribers = new Map<number, { min: number; fn: (l: TappedLine) => void }>();
  #next = 1;

  constructor(out: (line: string) => void = (line) => process.stdout.write(line)) {
    this.#out = out;
  }

  write(line: string): void {
    this.#out(line);
    if (this.#subscribers.size === 0) return;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const level = (typeof o.level === 'string' ? o.level : 'info') as LogLevelName;
    const n = LEVEL_NUMBER[level] ?? 30;
    const { level: _l, time, msg, event, service: _s, ...fields } = o;
    const tapped: TappedLine = {
      level,
      time: typeof time === 'string' ? time : new Date().toISOString(),
      event: typeof event === 'string' ? event : null,
      msg: typeof msg === 'string' ? msg : '',
      fields,
    };
    for (const s of this.#subscribers.values()) if (n >= s.min) s.fn(tapped);
  }

  /** subscribe delivers lines at `level` or above until the returned function is called. */
  subscribe(level: LogLevelName, fn: (l: TappedLine) => void): () => void {
    const id = this.#next++;
    this.#subscribers.set(id, { min: LEVEL_NUMBER[level], fn });
    return () => this.#subscribers.delete(id);
  }
}
