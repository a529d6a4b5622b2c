// `maglevctl config check [file]` and `config reload`: validation with the daemon's rules, reload as SIGHUP.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ControlError } from '../../control/client.js';
import type { ConfigCheckResult, ConfigErrorView, ConfigReloadResult } from '../../control/protocol.js';
import type { CommandContext, Runner } from '../context.js';

/** errorLine renders one config error as `file:line:col: message`, the form editors jump to. */
export function errorLine(file: string, e: ConfigErrorView): string {
  const where = e.line === null ? file : `${file}:${e.line}:${e.col ?? 1}`;
  return `${where}: ${e.message}${e.path ? ` (${e.path})` : ''}`;
}

async function readClientFile(ctx: CommandContext, path: string): Promise<string> {
  try {
    return await (ctx.io.readFile ?? ((p: string) => readFile(p, 'utf8')))(path);
  } catch (e) {
    throw new ControlError(`cannot read ${path}: ${(e as Error).message}`, 0, 'ERR_CONFIG');
  }
}

export function registerConfig(program: Command, run: Runner): void {
  const config = program.command('config').description('check or reload the configuration');
  config
    .command('check [file]')
    .description("validate a file with the daemon's rules (default: the running config's file)")
    .action(
      run(async (ctx, [file]) => {
        // The file is read here, with the operator's permissions; the daemon validates its text.
        const body = file ? { file: { name: file, text: await readClientFile(ctx, file) } } : {};
        const r = await ctx.client.post<ConfigCheckResult>('/config/check', body);
        if (ctx.json) ctx.printJson(r);
        else if (r.ok) ctx.print(`${r.file}: valid`);
        else ctx.print(r.errors.map((e) => errorLine(r.file, e)).join('\n'));
        return r.ok ? 0 : 1;
      }),
    );
  config
    .command('reload')
    .description('reload the config from disk, as SIGHUP does')
    .action(
      run(async (ctx) => {
        try {
          const r = await ctx.client.post<ConfigReloadResult>('/config/reload', {});
          if (ctx.json) ctx.printJson(r);
          else ctx.print(`${r.file}: reloaded (generation ${r.generation}${r.changed ? '' : ', unchanged'})`);
          return 0;
        } catch (e) {
          const d = e instanceof ControlError ? (e.details as ConfigReloadResult | undefined) : undefined;
          if (!d || !Array.isArray(d.errors)) throw e;
          if (ctx.json) ctx.printJson(d);
          else {
            ctx.io.stderr(`maglevctl: config reload refused, the running config stays:\n`);
            ctx.io.stderr(`${d.errors.map((x) => `  ${errorLine(d.file, x)}`).join('\n')}\n`);
          }
          return 1;
        }
      }),
    );
}
