// The generator's command line: `gen` writes the output, `gen:check` fails listing every file that drifted.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const work = join(root, '.tmp', `codegen-main-${process.pid}`);
const api = join(work, 'api');
const out = join(work, 'out');

const tiny = {
  module: 'tiny',
  vl_api_version: '0x1',
  options: { version: '1.0.0' },
  messages: [['ping', ['u16', '_vl_msg_id'], ['u32', 'context'], { crc: '0x00000001' }]],
};

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', join(root, 'codegen', 'main.ts'), ...args], {
      cwd: root,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('codegen/main.ts', () => {
  it('generates, passes the drift check, then fails it listing changed, missing and stray files', async () => {
    mkdirSync(join(api, 'core'), { recursive: true });
    mkdirSync(out, { recursive: true });
    writeFileSync(join(api, 'core', 'tiny.api.json'), JSON.stringify(tiny));
    writeFileSync(join(api, 'VERSION.txt'), 'show version:   vpp v9.9-test\n');

    const gen = await cli('--in', api, '--out', out);
    expect(gen.code).toBe(0);
    expect(readFileSync(join(out, 'tiny.ts'), 'utf8').split('\n')[0]).toContain('v9.9-test');
    expect((await cli('--check', '--in', api, '--out', out)).code).toBe(0);

    writeFileSync(join(out, 'tiny.ts'), `${readFileSync(join(out, 'tiny.ts'), 'utf8')}// edited\n`);
    rmSync(join(out, 'index.ts'));
    writeFileSync(join(out, 'stray.ts'), '// left over\n');
    const check = await cli('--check', '--in', api, '--out', out);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain('tiny.ts');
    expect(check.stderr).toContain('index.ts (missing)');
    expect(check.stderr).toContain('stray.ts (not generated any more)');
  }, 60_000);

  it('reports an invalid input naming the file and entry, with exit code 1', async () => {
    mkdirSync(join(work, 'bad', 'plugins'), { recursive: true });
    writeFileSync(
      join(work, 'bad', 'plugins', 'x.api.json'),
      JSON.stringify({ vl_api_version: '0x1', messages: [['m', ['u16', '_vl_msg_id']]] }),
    );
    const r = await cli('--check', '--in', join(work, 'bad'), '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('plugins/x.api.json: messages entry "m" (#0)');
  }, 60_000);
});
