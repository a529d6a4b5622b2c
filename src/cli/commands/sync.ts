// `maglevctl sync [frontend]`: force a sync of one VIP or of everything.
import type { Command } from 'commander';
import type { ActionResult } from '../../control/protocol.js';
import type { Runner } from '../context.js';

export function registerSync(program: Command, run: Runner): void {
  program
    .command('sync [frontend]')
    .description("force a sync now (one frontend's VIP, or all)")
    .action(
      run(async (ctx, [frontend]) => {
        const r = await ctx.client.post<ActionResult>('/sync', frontend ? { frontend } : {});
        if (ctx.json) ctx.printJson(r);
        else ctx.print(r.message);
        return 0;
      }),
    );
}
