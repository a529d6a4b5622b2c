// Reads and validates a config file: bounded read, YAML with positions, schema (stage 1), semantics (stage 2), model.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import {
  type Alias,
  Composer,
  type CST,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  Parser,
  type YAMLError,
  YAMLParseError,
} from 'yaml';
import type { DesiredModel } from '../model/desired.js';
import { resolveAliases, toDataWithoutAliases } from './aliases.js';
import { buildDesiredModel } from './desired.js';
import { ConfigError, type ConfigIssue, pathText } from './issues.js';
import { SourcePositions } from './positions.js';
import { ConfigSchema } from './schema.js';
import { buildView, checkSemantics } from './semantic.js';
import { parseWithSchema } from './zod-issues.js';

/**
 * The largest config accepted. A real router's config is tens of KiB; the benchmark's 1000 frontends and
 * 5000 backends take 0.63 MiB, so 2 MiB leaves three times that. Anything larger is a mistake, and
 * refusing it before parsing bounds the event-loop time a load costs (about 1.5 s for 2 MiB of valid
 * config, more than twice that for 4 MiB).
 */
export const MAX_CONFIG_BYTES = 2 * 1024 * 1024;

/** The cap as people read it, for messages. */
const MAX_CONFIG_TEXT = `${MAX_CONFIG_BYTES} bytes (${MAX_CONFIG_BYTES / (1024 * 1024)} MiB)`;

/** Placeholder paths for problems that are not about a key. */
const FILE_PATH = '(file)';
const YAML_PATH = '(yaml)';

function fileIssue(file: string, message: string): ConfigError {
  return new ConfigError([{ file, line: 1, col: 1, path: FILE_PATH, message }], 1);
}

function errnoText(e: unknown): string {
  const code = (e as { code?: string }).code;
  switch (code) {
    case 'ENOENT':
      return 'cannot read the file: it does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'cannot read the file: permission denied';
    case 'EISDIR':
      return 'cannot read the file: it is a directory';
    default:
      return `cannot read the file: ${(e as Error).message}`;
  }
}

/**
 * readConfigFile reads at most MAX_CONFIG_BYTES (+1 to detect more) from a regular file and decodes it as
 * UTF-8. Every failure is a ConfigError with exit code 1.
 */
export async function readConfigFile(file: string): Promise<string> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    // O_NONBLOCK: opening a FIFO would otherwise wait for a writer forever; for a regular file it is a
    // no-op, and anything else is refused right after by the fstat below.
    fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw fileIssue(file, errnoText(e));
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw fileIssue(file, 'cannot read the file: it is not a regular file');
    const tooBig = (n: number) =>
      fileIssue(
        file,
        `the file is ${n > st.size ? `more than ${MAX_CONFIG_BYTES}` : n} bytes; a config may have at most ${MAX_CONFIG_TEXT}`,
      );
    if (st.size > MAX_CONFIG_BYTES) throw tooBig(st.size);
    // The size can change between stat and read: read with the cap, not with the stat result.
    const buf = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let len = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, len, buf.length - len, len);
      if (bytesRead === 0) break;
      len += bytesRead;
      if (len > MAX_CONFIG_BYTES) throw tooBig(len);
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, len));
    } catch {
      throw fileIssue(file, 'the file is not UTF-8 text');
    }
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw fileIssue(file, errnoText(e));
  } finally {
    await fh.close();
  }
}

function keyText(k: unknown): string | undefined {
  return isScalar(k) && k.value !== null ? String(k.value) : undefined;
}

/**
 * duplicateKeyIssues finds every repeated key with its path and the line of the first occurrence. One
 * pass with a hash map per mapping; the path is copied only when a duplicate is found.
 */
function duplicateKeyIssues(doc: Document, positions: SourcePositions, file: string): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const path: (string | number)[] = [];
  const walk = (node: unknown) => {
    if (isMap(node)) {
      const first = new Map<string, Node>();
      for (const p of node.items) {
        const k = keyText(p.key);
        if (k === undefined) {
          walk(p.value);
          continue;
        }
        const prev = first.get(k);
        if (prev !== undefined) {
          const at = positions.offsetPosition((p.key as Node).range?.[0] ?? 0);
          const was = positions.offsetPosition(prev.range?.[0] ?? 0);
          out.push({
            file,
            line: at.line,
            col: at.col,
            path: pathText([...path, k]),
            message: `duplicate key "${k}" (first defined on line ${was.line})`,
          });
        } else {
          first.set(k, p.key as Node);
        }
        path.push(k);
        walk(p.value);
        path.pop();
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        path.push(i);
        walk(item);
        path.pop();
      });
    }
  };
  walk(doc.contents);
  return out;
}

function yamlIssue(e: YAMLError, positions: SourcePositions, file: string): ConfigIssue {
  const at = positions.offsetPosition(e.pos[0]);
  const message =
    e.code === 'TAB_AS_INDENT'
      ? 'a tab is used for indentation: YAML indents with spaces only'
      : e.code === 'MULTIPLE_DOCS'
        ? 'the file holds more than one YAML document (a line with ---): a config is one document'
        : e.code === 'TAG_RESOLVE_FAILED'
          ? `${e.message.replace(/^Unresolved tag/, 'unknown YAML tag')}: a config uses plain values`
          : /call stack/i.test(e.message)
            ? 'not valid YAML for maglevd: nested too deeply (a config needs fewer than ten levels)'
            : `not valid YAML: ${e.message.split('\n')[0]}`;
  return { file, line: at.line, col: at.col, path: YAML_PATH, message };
}

/**
 * boundedTokens passes the parser's top-level tokens on until the first document has been seen together
 * with the first top-level error token. After a stray `}` the parser yields one top-level error per later
 * token, millions for a big file, each becoming an error object; only the first is ever shown. Later error
 * tokens seen before the first document are dropped rather than passed on, so that document is still
 * composed and its tab errors (each a mistake of its own, all shown) still found. One document after the
 * first is let through, so that a second document is still reported.
 */
function* boundedTokens(tokens: Generator<CST.Token>): Generator<CST.Token> {
  let docs = 0;
  let errors = 0;
  for (const t of tokens) {
    if (t.type === 'error') {
      errors++;
      if (errors > 1) continue;
    } else if (t.type === 'document') {
      docs++;
    }
    yield t;
    if (docs > 1 || (docs > 0 && errors > 0)) return;
  }
}

/**
 * parseYamlDocument reads one YAML document with positions as yaml's parseDocument does, but with work
 * bounded after the first syntax error (see boundedTokens). Exported for tests.
 */
export function parseYamlDocument(text: string, lineCounter: LineCounter): Document {
  const parser = new Parser(lineCounter.addNewLine);
  const composer = new Composer({
    lineCounter,
    prettyErrors: false,
    // The parser's own duplicate check compares every key with every other (quadratic: seconds for a
    // section of 5000 backends); duplicateKeyIssues does the same job with a hash map.
    uniqueKeys: false,
    // Merge keys (`<<: *defaults`) let operators share healthcheck settings; YAML 1.2 leaves them off.
    merge: true,
    // Problems become ConfigIssues; nothing may go to the process's stderr as a Node warning.
    logLevel: 'error',
  });
  let doc: Document | undefined;
  // forceDoc: an empty stream still yields one (empty) document, so `doc` is always set at the end.
  for (const d of composer.compose(boundedTokens(parser.parse(text)), true, text.length)) {
    if (doc === undefined) {
      doc = d;
    } else {
      doc.errors.push(
        new YAMLParseError([d.range[0], d.range[1]], 'MULTIPLE_DOCS', 'more than one document'),
      );
      break;
    }
  }
  return doc as Document;
}

/**
 * parseConfigText validates a config's text and builds the model. It throws one ConfigError carrying every
 * problem found, sorted by position; `file` is only used to name the file in those messages.
 */
export function parseConfigText(text: string, file: string): DesiredModel {
  // Text sent to the control API has not been through readConfigFile: hold it to the same cap.
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_CONFIG_BYTES)
    throw fileIssue(file, `the file is ${bytes} bytes; a config may have at most ${MAX_CONFIG_TEXT}`);
  const lineCounter = new LineCounter();
  const doc = parseYamlDocument(text, lineCounter);
  const aliases = resolveAliases(doc);
  const positions = new SourcePositions(doc, lineCounter, aliases.targets);

  const syntax = doc.errors;
  const duplicates = duplicateKeyIssues(doc, positions, file);
  if (syntax.length > 0) {
    // After the first syntax error the parser's further complaints are mostly echoes of it; tabs used
    // as indentation are the exception: each one is a real mistake on its own line.
    const tabs = syntax.filter((e) => e.code === 'TAB_AS_INDENT');
    const shown = tabs.length > 0 ? tabs : syntax.slice(0, 1);
    throw new ConfigError([...shown.map((e) => yamlIssue(e, positions, file)), ...duplicates], 1);
  }
  const issues: ConfigIssue[] = [...duplicates, ...doc.warnings.map((w) => yamlIssue(w, positions, file))];

  if (aliases.problem !== undefined) {
    const at = positions.offsetPosition(aliases.problem.offset);
    throw new ConfigError([{ file, ...at, path: YAML_PATH, message: aliases.problem.message }], 1);
  }
  let raw: unknown;
  try {
    raw = toDataWithoutAliases(doc, aliases);
  } catch (e) {
    // yaml refuses a merge key (`<<`) whose value is not a map or a list of maps while converting.
    const offset = badMergeOffset(doc, aliases.targets);
    const at = offset === undefined ? { line: 1, col: 1 } : positions.offsetPosition(offset);
    const message = /call stack/i.test((e as Error).message)
      ? 'not valid YAML for maglevd: nested too deeply (a config needs fewer than ten levels)'
      : `not valid YAML: ${(e as Error).message}`;
    throw new ConfigError([{ file, ...at, path: YAML_PATH, message }], 1);
  }
  if (doc.contents === null || raw === null || raw === undefined) {
    issues.push({
      file,
      line: 1,
      col: 1,
      path: FILE_PATH,
      message: 'the file is empty: a config has one top-level key, maglev',
    });
    throw new ConfigError(issues, 2);
  }

  const stage1 = parseWithSchema(ConfigSchema, raw, [], positions, file);
  if (!stage1.ok) issues.push(...stage1.issues);
  const view = buildView(raw, positions, stage1.ok ? stage1.value.maglev : undefined);
  if (view !== undefined) issues.push(...checkSemantics(view, file, positions));
  if (issues.length > 0 || !stage1.ok) throw new ConfigError(issues, 2);
  return buildDesiredModel(stage1.value.maglev, (p) => positions.keyOrder(p));
}

/** badMergeOffset finds the first merge key (`<<`) whose value is not a map or a list of maps. */
function badMergeOffset(doc: Document, aliases: ReadonlyMap<Alias, Node>): number | undefined {
  const deref = (n: unknown): unknown => (isAlias(n) ? aliases.get(n) : n);
  let found: number | undefined;
  const walk = (n: unknown) => {
    if (found !== undefined) return;
    if (isMap(n)) {
      for (const p of n.items) {
        const v = deref(p.value);
        const merge = isScalar(p.key) && (p.key.value === '<<' || typeof p.key.value === 'symbol');
        if (merge && !isMap(v) && !(isSeq(v) && v.items.every((i) => isMap(deref(i))))) {
          found = (p.key as Node).range?.[0];
          return;
        }
        walk(p.value);
      }
    } else if (isSeq(n)) {
      for (const i of n.items) walk(i);
    }
  };
  walk(doc.contents);
  return found;
}

/** loadConfigFile reads, validates and builds; throws ConfigError (exit code 1 or 2) with every problem. */
export async function loadConfigFile(file: string): Promise<DesiredModel> {
  return parseConfigText(await readConfigFile(file), file);
}
