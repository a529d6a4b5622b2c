// `maglevctl set ...`: operator actions on backends, runtime weight overrides, and the daemon's log level.
import { Argument, type Command } from 'commander';
import type { ActionResult } from '../../control/protocol.js';
import { LOG_LEVEL_NAMES } from '../../control/protocol.js';
import type { Runner } from '../context.js';
import { UsageError } from '../context.js';

/** parseWeight reads `0..100` or `default`; anything else is a usage error (exit 2). */
export function parseWeight(text: string): number | 'default' {
  if (text === 'default') return 'default';
  if (!/^(0|[1-9][0-9]{0,2})$/.test(text) || Number(text) > 100) {
    throw new UsageError(`weight must be an integer 0..100 or "default", not "${text}"`);
  }
  return Number(text);
}

export function registerSet(program: Command, run: Runner): void {
  const set = program.command('set').description('operator actions');
  set
    .command('backend')
    .description('pause or resume probing, enable or disable a backend')
    .argument('<name>', 'backend name')
    .addArgument(new Argument('<action>', 'what to do').choices(['pause', 'resume', 'enable', 'disable']))
    .action(
      run(async (ctx, [name, action]) => {
        const r = await ctx.client.post<ActionResult>(`/backends/${encodeURIComponent(name ?? '')}/admin`, {
          action,
        });
        if (ctx.json) ctx.printJson(r);
        else ctx.print(r.message);
        return 0;
      }),
    );
  set
    .command('weight <frontend> <pool> <backend> <weight>')
    .description('runtime weight override 0..100; "default" clears it')
    .option('--flush', "flush the AS's existing flows when the weight is 0")
    .action(
      run(async (ctx, [frontend, pool, backend, weightText], opts) => {
        const weight = parseWeight(weightText ?? '');
        const flush = opts.flush === true;
        if (flush && weight !== 0) throw new UsageError('--flush applies only to weight 0');
        const r = await ctx.client.post<ActionResult>('/weights', { frontend, pool, backend, weight, flush });
        if (ctx.json) ctx.printJson(r);
        else ctx.print(r.message);
        return 0;
      }),
    );
  set
    .command('log-level')
    .description("change the daemon's log level at run time")
    .addArgument(new Argument('<level>').choices([...LOG_LEVEL_NAMES]))
    .action(
      run(async (ctx, [level]) => {
        const r = await ctx.client.put<{ level: string }>('/log-level', { level });
        if (ctx.json) ctx.printJson(r);
        else ctx.print(`log level ${r.level}`);
        return 0;
      }),
    );
}
