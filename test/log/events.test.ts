// Stable log events: every line carries `event`, its level, its fields, and never a header value.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LOG_EVENT_LEVELS, LOG_EVENT_NAMES, logEvent } from '../../src/log/events.js';
import { createLogger, isLogLevel, type LogLevel, setLogLevel } from '../../src/log/logger.js';

function capture(level: LogLevel = 'info') {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l !== '') lines.push(JSON.parse(l));
      cb();
    },
  });
  // pino writes synchronously to a plain stream, so lines are readable right after the call.
  return { logger: createLogger({ level, destination }), lines };
}

describe('log events', () => {
  it('writes the event name, its fields, ISO time and the component', () => {
    const { logger, lines } = capture();
    const checker = logger.child({ component: 'checker' });
    logEvent(checker, 'backend-transition', {
      backend: 'web1',
      address: '10.0.0.1',
      from: 'up',
      to: 'down',
      code: 'L4TOUT',
    });
    expect(lines).toHaveLength(1);
    const line = lines[0];
    expect(line).toMatchObject({
      level: 'info',
      event: 'backend-transition',
      component: 'checker',
      service: 'maglevd',
      backend: 'web1',
      address: '10.0.0.1',
      from: 'up',
      to: 'down',
      code: 'L4TOUT',
    });
    expect(String(line?.time)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('the event field cannot be overwritten by a field of the same name', () => {
    const { logger, lines } = capture();
    logEvent(logger, 'shutdown', { reason: 'SIGTERM', event: 'something-else' });
    expect(lines[0]?.event).toBe('shutdown');
  });

  it('writes debug events only at debug, and a runtime level change reaches existing children', () => {
    const { logger, lines } = capture('info');
    const vpp = logger.child({ component: 'vppapi' });
    logEvent(vpp, 'vpp-api-send', { message: 'lb_add_del_as_v2', context: 7 });
    expect(lines).toHaveLength(0);
    expect(setLogLevel(logger, 'debug')).toBe('info');
    logEvent(vpp, 'vpp-api-recv', { message: 'lb_add_del_as_v2_reply', context: 7, retval: -81 });
    expect(lines).toEqual([
      expect.objectContaining({ level: 'debug', event: 'vpp-api-recv', context: 7, retval: -81 }),
    ]);
  });

  it('honours a level override (a frontend going down is a warning)', () => {
    const { logger, lines } = capture('warn');
    logEvent(
      logger,
      'frontend-transition',
      { frontend: 'web-v4', vip: '198.51.100.1/32 tcp 80', from: 'up', to: 'down' },
      { level: 'warn' },
    );
    expect(lines[0]).toMatchObject({ level: 'warn', event: 'frontend-transition', to: 'down' });
  });

  it('redacts every header value, in any letter case and nesting, keeping the names', () => {
    const { logger, lines } = capture('debug');
    logEvent(logger, 'probe', {
      backend: 'web1',
      address: '10.0.0.1',
      type: 'http',
      ok: false,
      code: 'L7STS',
      latencyMs: 3,
      headers: { Authorization: 'Basic c2VjcmV0', 'X-Api-Key': 'k3y' },
      request: { headers: { AUTHORIZATION: 'Bearer t0ken', cookie: 'session=1' } },
      check: { http: { headers: { authorization: 'Basic deep' } } },
    });
    const text = JSON.stringify(lines[0]);
    for (const secret of ['c2VjcmV0', 'k3y', 't0ken', 'session=1', 'deep'])
      expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({
      headers: { Authorization: '[redacted]', 'X-Api-Key': '[redacted]' },
      request: { headers: { AUTHORIZATION: '[redacted]', cookie: '[redacted]' } },
    });
  });

  it('has a default level for every event name, names are kebab-case and unique', () => {
    expect(new Set(LOG_EVENT_NAMES).size).toBe(LOG_EVENT_NAMES.length);
    expect(Object.keys(LOG_EVENT_LEVELS).sort()).toEqual([...LOG_EVENT_NAMES].sort());
    for (const name of LOG_EVENT_NAMES) expect(name).toMatch(/^[a-z]+(-[a-z]+)*$/);
  });

  it('recognises valid levels only', () => {
    expect(isLogLevel('debug')).toBe(true);
    expect(isLogLevel('silent')).toBe(false);
    expect(isLogLevel('DEBUG')).toBe(false);
    expect(isLogLevel(3)).toBe(false);
  });
});
