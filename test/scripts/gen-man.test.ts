// The man pages: committed text equals what the CLI definitions give now, and every option and command is in it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { staleManPages } from '../../scripts/gen-man.js';
import { renderManPages } from '../../scripts/man-pages.js';
import { bold, line, optionTerm, paragraphs, text } from '../../scripts/roff.js';
import { buildProgram } from '../../src/cli/program.js';
import { defineCommand } from '../../src/daemon/main.js';

const pages = renderManPages();
const hasGroff = spawnSync('groff', ['--version']).status === 0;

function sections(page: string): string[] {
  return [...page.matchAll(/^\.SH (.+)$/gm)].map((m) => m[1] ?? '');
}

/** The visible text of a roff fragment, near enough to search it: font changes and escapes dropped. */
function plain(roff: string): string {
  return roff
    .replace(/\\f[BIR]/g, '')
    .replace(/\\-/g, '-')
    .replace(/\\&/g, '');
}

describe('man pages', () => {
  it('are committed as generated: run npm run man after changing an option, a command or its text', () => {
    expect(staleManPages()).toEqual([]);
  });

  it('report a page that drifted or is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'maglevd-man-'));
    try {
      writeFileSync(join(dir, 'maglevd.8'), pages['maglevd.8'].replace('Config file.', 'Config.'));
      expect(staleManPages(dir)).toEqual(['maglevd.8', 'maglevctl.8']);
      writeFileSync(join(dir, 'maglevd.8'), pages['maglevd.8']);
      expect(staleManPages(dir)).toEqual(['maglevctl.8']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('have the sections an operator looks for', () => {
    expect(sections(pages['maglevd.8'])).toEqual([
      'NAME',
      'SYNOPSIS',
      'DESCRIPTION',
      'OPTIONS',
      'ENVIRONMENT',
      'SIGNALS',
      'EXIT STATUS',
      'FILES',
      'SEE ALSO',
    ]);
    expect(sections(pages['maglevctl.8'])).toEqual([
      'NAME',
      'SYNOPSIS',
      'DESCRIPTION',
      'OPTIONS',
      'COMMANDS',
      'ENVIRONMENT',
      'EXIT STATUS',
      'FILES',
      'EXAMPLES',
      'SEE ALSO',
    ]);
  });

  it('maglevd(8) lists every option with its default and environment variable', () => {
    const page = plain(pages['maglevd.8']);
    const options = defineCommand().options;
    expect(options.length).toBeGreaterThanOrEqual(7);
    for (const o of options) {
      expect(page, o.flags).toContain(`.TP\n${plain(optionTerm(o.flags))}\n`);
      if (o.envVar) {
        expect(page).toContain(`Environment: ${o.envVar}.`);
        expect(page).toMatch(new RegExp(`^${o.envVar}\\n`, 'm'));
      }
      if (typeof o.defaultValue === 'string') expect(page).toContain(`Default: ${o.defaultValue}.`);
    }
    expect(page).toContain('MAGLEV_LOG_LEVEL');
    expect(page).toMatch(/^SIGHUP\n/m);
    expect(page).toMatch(/^SIGTERM, SIGINT\n.*VPP is never changed on shutdown/m);
    expect(page).toMatch(/^70\n/m);
  });

  it('maglevctl(8) lists every command that runs something, with its arguments and options', () => {
    const page = plain(pages['maglevctl.8']);
    const program = buildProgram({ stdout: () => undefined, stderr: () => undefined, env: {} }, { code: 0 });
    const leaves: string[] = [];
    const walk = (c: Command, path: string[]): void => {
      if (c.commands.length === 0) leaves.push(path.join(' '));
      for (const s of c.commands) walk(s, [...path, s.name()]);
    };
    walk(program, []);
    expect(leaves).toEqual(
      expect.arrayContaining(['show frontends', 'set weight', 'watch', 'config reload']),
    );
    for (const l of [...leaves, 'show vpp']) expect(page, l).toMatch(new RegExp(`^${l}\\b`, 'm'));
    expect(page).toMatch(/^set weight \[--flush\] frontend pool backend weight$/m);
    expect(page).toMatch(/^set backend name pause\|resume\|enable\|disable$/m);
    expect(page).toMatch(
      /^--socket path\nControl socket of maglevd\.\nDefault: \/run\/maglev\/maglevd\.sock\./m,
    );
    expect(page).toMatch(/^MAGLEV_CONTROL_SOCKET\n/m);
  });

  it.skipIf(!hasGroff)('render without a groff warning', () => {
    for (const [name, page] of Object.entries(pages)) {
      const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z'], { input: page, encoding: 'utf8' });
      expect(r.stderr, name).toBe('');
      expect(r.status).toBe(0);
    }
  });
});

describe('roff', () => {
  it('never lets text start a request or lose a backslash', () => {
    expect(line(text('.hidden'))).toBe('\\&.hidden');
    expect(line(text("'quoted"))).toBe("\\&'quoted");
    expect(text('a\\b')).toBe('a\\eb');
    expect(paragraphs('one\n.two\n\nthree')).toEqual(['one', '\\&.two', '.PP', 'three']);
  });

  it('sets flags in bold with minus signs, placeholders in italics, non-ASCII as escapes', () => {
    expect(text('use --vpp-api sim or -h')).toBe('use \\fB\\-\\-vpp\\-api\\fR sim or \\fB\\-h\\fR');
    expect(text('non-zero health-checks')).toBe('non-zero health-checks');
    expect(text('a → b')).toBe('a \\[u2192] b');
    expect(optionTerm('-h, --help')).toBe('\\fB\\-h\\fR, \\fB\\-\\-help\\fR');
    expect(optionTerm('--config <file>')).toBe('\\fB\\-\\-config\\fR \\fIfile\\fR');
    expect(optionTerm('--fast [n]')).toBe('\\fB\\-\\-fast\\fR [\\fIn\\fR]');
    expect(bold('/run/x')).toBe('\\fB/run/x\\fR');
  });
});
