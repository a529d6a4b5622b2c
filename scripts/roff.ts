// roff(7) for man(7) pages: escaping text, and rendering commander options, arguments and usages as roff.
import type { Argument, Option } from 'commander';

/**
 * text escapes free text for a roff text line: backslashes, non-ASCII characters (as \[uXXXX], so the page
 * renders the same without preconv), and option-like words (`--flag`, `-h`) set in bold with real minus
 * signs, so a reader can copy them. The caller starts lines; `line()` guards their first character.
 */
export function text(s: string): string {
  return s
    .replace(/\\/g, '\\e')
    .replace(
      /[^\x20-\x7e\n]/gu,
      (c) => `\\[u${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}]`,
    )
    .replace(
      /(^|[\s("'[])(--?[a-zA-Z][a-zA-Z0-9-]*)/g,
      (_m, pre: string, flag: string) => `${pre}${bold(flag)}`,
    );
}

/** bold sets a literal (a flag, a command, a path) in bold; minus signs stay minus signs. */
export function bold(s: string): string {
  return `\\fB${literal(s)}\\fR`;
}

/** italic sets a placeholder (an argument name) in italics. */
export function italic(s: string): string {
  return `\\fI${literal(s)}\\fR`;
}

/** literal escapes a word taken verbatim: `-` is a minus sign (U+2212 would not copy-paste as a hyphen). */
function literal(s: string): string {
  return s.replace(/\\/g, '\\e').replace(/-/g, '\\-');
}

/**
 * line guards a text line: one beginning with `.` or `'` would be read as a request, and a leading space
 * would start a new filled line.
 */
export function line(s: string): string {
  return /^[.' ]/.test(s) ? `\\&${s}` : s;
}

/**
 * paragraphs turns prose (paragraphs separated by blank lines) into escaped lines, `.PP` between them; inside
 * a .TP entry pass `.IP`, which keeps the entry's indentation.
 */
export function paragraphs(prose: string, separator: '.PP' | '.IP' = '.PP'): string[] {
  return prose
    .trim()
    .split(/\n\s*\n/)
    .flatMap((p, i) => [
      ...(i > 0 ? [separator] : []),
      ...p
        .trim()
        .split('\n')
        .map((l) => line(text(l.trim()))),
    ]);
}

/** A commander flag list (`-h, --help`, `--config <file>`, `--fast [n]`) with options bold, values italic. */
export function optionTerm(flags: string): string {
  const tokens = flags.split(/\s*,\s*|\s+/).filter((t) => t !== '');
  const names = tokens.filter((t) => t.startsWith('-')).map(bold);
  const values = tokens
    .filter((t) => !t.startsWith('-'))
    .map((t) => (t.startsWith('[') ? `[${italic(t.slice(1, -1))}]` : italic(t.replace(/^<|>$/g, ''))));
  return [names.join(', '), ...values].join(' ');
}

/** An argument in a synopsis: `name`, `[name]`, `name...`, or its choices as `a|b|c` in bold. */
export function argumentTerm(arg: Argument): string {
  const choices = (arg as Argument & { argChoices?: readonly string[] }).argChoices;
  let term = choices ? choices.map((c) => bold(c)).join('|') : italic(arg.name());
  if (arg.variadic) term += '\\&...';
  return arg.required ? term : `[${term}]`;
}

/** What commander knows about an option beyond its description: choices, default, environment variable. */
export function optionFacts(opt: Option): string[] {
  const facts: string[] = [];
  const o = opt as Option & { argChoices?: readonly string[] };
  if (o.argChoices) facts.push(`One of: ${o.argChoices.join(', ')}.`);
  if (opt.defaultValue !== undefined && typeof opt.defaultValue !== 'boolean') {
    const d = opt.defaultValueDescription ?? String(opt.defaultValue);
    facts.push(d === '' ? 'Default: empty.' : `Default: ${d}.`);
  }
  if (opt.envVar !== undefined) facts.push(`Environment: ${opt.envVar}.`);
  return facts;
}

/** sentence capitalises a commander description and ends it with a full stop, as man pages read. */
export function sentence(s: string): string {
  const t = s.trim();
  if (t === '') return t;
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}
