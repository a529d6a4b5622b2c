// `maglevctl explain <frontend> <backend>`: why a backend's effective weight on a frontend is what it is.
import type { Command } from 'commander';
import type { ExplainView } from '../../control/protocol.js';
import type { Runner } from '../context.js';
import { dash, pairs } from '../format.js';

export function renderExplain(e: ExplainView): string {
  const rows: [string, string][] = [
    [
      'state',
      `${e.state}${e.state === 'paused' ? ` (weighted as ${e.lastKnown})` : ''}, health ${e.health}/${
        e.rise + e.fall - 1
      } (rise ${e.rise}, fall ${e.fall})`,
    ],
    ['admin', e.adminState],
    ['frontend', `${e.frontendState}, active pool ${dash(e.activePool)}`],
    [
      'warmup',
      `${e.warmup.phase}, ${e.warmup.released ? 'released' : 'held: nothing is written to this VIP yet'}`,
    ],
    ['VPP', e.vppWeight === null ? 'no AS live' : `weight ${e.vppWeight}, ${dash(e.vppBuckets)} buckets`],
  ];
  for (const m of e.members) {
    const w = m.override
      ? `configured ${m.configuredWeight}, override ${m.override.weight}${m.override.flush ? ' flush' : ''}`
      : `configured ${m.configuredWeight}`;
    rows.push([
      `pool ${m.pool}`,
      `${m.poolActive ? 'active' : 'inactive'}; ${w} → effective ${m.effectiveWeight}${
        m.effectiveWeight === 0 ? (m.flush ? ', flush' : ', no flush') : ''
      }`,
    ]);
    rows.push(['  because', m.reason]);
  }
  return `${e.frontend} / ${e.backend} (${dash(e.address)}) on ${e.vip}\n${pairs(rows, '  ')}`;
}

export function registerExplain(program: Command, run: Runner): void {
  program
    .command('explain <frontend> <backend>')
    .description('why the effective weight is what it is: state, counter, pool, admin state, warmup gate')
    .action(
      run(async (ctx, [frontend, backend]) => {
        const e = await ctx.client.get<ExplainView>(
          `/explain/${encodeURIComponent(frontend ?? '')}/${encodeURIComponent(backend ?? '')}`,
        );
        if (ctx.json) ctx.printJson(e);
        else ctx.print(renderExplain(e));
        return 0;
      }),
    );
}
