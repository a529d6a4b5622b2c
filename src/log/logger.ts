// The logger factory: pino JSON lines on stdout with ISO timestamps, one child logger per component.
import pino from 'pino';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];

export type Logger = pino.Logger;

/** Paths whose values are secrets (check headers such as Authorization) and never reach a log line. */
const REDACT_PATHS = [
  'headers.authorization',
  'headers.Authorization',
  'headers.cookie',
  'headers.Cookie',
  '*.headers.authorization',
  '*.headers.Authorization',
  '*.headers.cookie',
  '*.headers.Cookie',
];

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; stdout by default (journald). Tests pass a stream to read lines back. */
  destination?: pino.DestinationStream;
}

/** createLogger makes the root logger; components take `logger.child({ component: 'checker' })`. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { service: 'maglevd' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    opts.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

/** silentLogger is for tests and library use where nothing should be printed. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
