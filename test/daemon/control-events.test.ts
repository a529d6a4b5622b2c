// The daemon's event hub: fan-out, per-subscriber log levels, and log lines tapped from a real pino logger.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ControlEvent, LogLevelName } from '../../src/control/protocol.js';
import { ControlEventHub, parseLogLine } from '../../src/daemon/control-events.js';
import { createLogger } from '../../src/log/logger.js';

const sync: ControlEvent = {
  type: 'sync',
  time: 't',
  trigger: 'sync',
  full: true,
  calls: 0,
  failed: 0,
  durationMs: 1,
  error: null,
};

describe('ControlEventHub', () => {
  it('delivers every event to every subscriber, log lines only at or above each one level', () => {
    const levels: (LogLevelName | undefined)[] = [];
    const hub = new ControlEventHub((l) => levels.push(l));
    const a: ControlEvent[] = [];
    const b: ControlEvent[] = [];
    const sa = hub.subscribe({ logLevel: undefined }, (e) => a.push(e));
    const sb = hub.subscribe({ logLevel: 'debug' }, (e) => b.push(e));
    expect(hub.minLogLevel).toBe('debug');
    hub.publish(sync);
    hub.publish({ type: 'log', time: 't', level: 'debug', event: null, msg: 'd', fields: {} });
    hub.publish({ type: 'log', time: 't', level: 'trace', event: null, msg: 't', fields: {} });
    expect(a).toEqual([sync]);
    expect(b.map((e) => (e.type === 'log' ? e.msg : e.type))).toEqual(['sync', 'd']);
    sb.close();
    sa.close();
    sa.close();
    expect(hub.subscriberCount).toBe(0);
    expect(levels).toEqual(['debug', undefined]);
  });

  it('drops a listener that throws and keeps serving the others', () => {
    const hub = new ControlEventHub();
    const got: ControlEvent[] = [];
    hub.subscribe({ logLevel: undefined }, () => {
      throw new Error('bug');
    });
    hub.subscribe({ logLevel: undefined }, (e) => got.push(e));
    hub.publish(sync);
    hub.publish(sync);
    expect(got).toHaveLength(2);
    expect(hub.subscriberCount).toBe(1);
  });

  it('taps a pino logger: stdout keeps its level, subscribers get theirs, secrets stay redacted', () => {
    const hub = new ControlEventHub();
    const stdout: string[] = [];
    const streams = pino.multistream([
      { level: 'info', stream: { write: (l: string) => stdout.push(l) } },
      { level: 'trace', stream: hub.logStream() },
    ]);
    const log = createLogger({ level: 'debug', destination: streams }).child({ component: 'checker' });
    const got: ControlEvent[] = [];
    hub.subscribe({ logLevel: 'debug' }, (e) => got.push(e));
    log.debug({ event: 'probe', backend: 'web1', headers: { authorization: 'Basic c2VjcmV0' } }, 'probe ok');
    log.info({ event: 'backend-transition', backend: 'web1' }, 'web1 up');
    expect(stdout).toHaveLength(1);
    expect(got).toHaveLength(2);
    expect(got[0]).toMatchObject({
      type: 'log',
      level: 'debug',
      event: 'probe',
      msg: 'probe ok',
      fields: { component: 'checker', backend: 'web1', headers: { authorization: '[redacted]' } },
    });
  });

  it('parseLogLine ignores what is not a log line and trims huge ones', () => {
    expect(parseLogLine('not json')).toBeUndefined();
    expect(parseLogLine('{"level":"loud","msg":"x"}')).toBeUndefined();
    const huge = parseLogLine(`{"level":"warn","msg":"${'x'.repeat(70_000)}"}`);
    expect(huge).toMatchObject({ level: 'warn', fields: { truncated: true } });
  });
});
