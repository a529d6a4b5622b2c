// `maglevctl watch`: the live event stream, one readable line (or one JSON object) per event, until Ctrl-C.
import type { Command } from 'commander';
import { Option } from 'commander';
import { LOG_LEVEL_NAMES, type StreamEvent } from '../../control/protocol.js';
import type { Runner } from '../context.js';

/** renderEvent renders one event as one line. */
export function renderEvent(e: StreamEvent): string {
  switch (e.type) {
    case 'backend':
      return `${e.time} backend ${e.backend} (${e.address}) ${
        e.synthetic ? `is ${e.to}` : `${e.from} → ${e.to}`
      }${e.code ? ` ${e.code}` : ''}${e.synthetic ? '' : `: ${e.reason}`} health ${e.health}`;
    case 'frontend':
      return `${e.time} frontend ${e.frontend} (${e.vip}) ${e.synthetic ? `is ${e.to}` : `${e.from} → ${e.to}`}, active pool ${
        e.activePool ?? '-'
      }`;
    case 'lb-change':
      return `${e.time} lb ${e.call} ${e.vip}${e.address ? ` as ${e.address}` : ''}${
        e.weight !== null ? ` weight ${e.weight}` : ''
      }${e.flush ? ' flush' : ''}${e.ok ? '' : ` FAILED: ${e.error ?? ''}`}`;
    case 'sync':
      return `${e.time} sync ${e.trigger}${e.full ? ' (full)' : ''}: ${e.calls} calls, ${e.failed} failed, ${Math.round(
        e.durationMs,
      )}ms${e.error ? `: ${e.error}` : ''}`;
    case 'log':
      return `${e.time} log ${e.level}${e.event ? ` ${e.event}` : ''}: ${e.msg}`;
    case 'overflow':
      return `${e.time} overflow: ${e.message} (${e.queued} queued)`;
  }
}

export function registerWatch(program: Command, run: Runner): void {
  program
    .command('watch')
    .description(
      'live event stream until Ctrl-C: transitions, lb changes, syncs, and log lines with --log-level',
    )
    .option('--backend <name>', "only this backend's events")
    .option('--frontend <name>', "only this frontend's events")
    .addOption(
      new Option('--log-level <level>', 'include log lines at this level or above').choices([
        ...LOG_LEVEL_NAMES,
      ]),
    )
    .action(
      run(async (ctx, _args, opts) => {
        const query = {
          backend: opts.backend as string | undefined,
          frontend: opts.frontend as string | undefined,
          level: opts.logLevel as string | undefined,
        };
        ctx.io.streaming?.(true);
        let end: Awaited<ReturnType<typeof ctx.client.events>>;
        try {
          end = await ctx.client.events(
            query,
            (e) => (ctx.json ? ctx.io.stdout(`${JSON.stringify(e)}\n`) : ctx.print(renderEvent(e))),
            ctx.io.signal ? { signal: ctx.io.signal } : {},
          );
        } finally {
          ctx.io.streaming?.(false);
        }
        if (end === 'aborted') return 0;
        ctx.io.stderr(
          end === 'overflow'
            ? 'maglevctl: maglevd dropped this watch: it fell too far behind\n'
            : `maglevctl: maglevd closed the event stream on ${ctx.socketPath}\n`,
        );
        return 1;
      }),
    );
}
