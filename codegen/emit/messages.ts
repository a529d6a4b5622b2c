// Emits one message: its decoded and Input interfaces, straight-line encode/decode functions, and its MessageDef.
import type { MessageModel, ModuleModel } from '../model.js';
import { isVariable, shapeSize } from '../model.js';
import { CodecEmitter } from './codec.js';
import type { ModuleScope } from './scope.js';
import { emitFields } from './types.js';
import type { Writer } from './writer.js';

function cleanComment(c: string | undefined): string | undefined {
  if (!c) return undefined;
  const text = c
    .replace(/^\/\*+!?/, '')
    .replace(/\*+\/$/, '')
    .split('\n')
    .map((l) => l.replace(/^\s*\*?\s?/, '').trimEnd())
    .join('\n')
    .trim();
  return text === '' ? undefined : text;
}

/** Flattened top-level layout (name, offset, size) of the fixed-position fields, for truncation errors. */
function layout(m: MessageModel): string {
  const parts: string[] = [`'_vl_msg_id', 0, 2`];
  let off = 2;
  for (const f of m.fields) {
    const size = shapeSize(f.shape);
    if (size > 0) parts.push(`'${f.name}', ${off}, ${size}`);
    off += size;
    if (isVariable(f.shape)) break;
  }
  return `[${parts.join(', ')}]`;
}

/** emitMessage writes everything for one message. */
export function emitMessage(w: Writer, m: MessageModel, mod: ModuleModel, scope: ModuleScope): void {
  const name = m.tsName;
  const comment = cleanComment(m.comment);
  const head = `${m.name} (crc ${m.crc}, ${m.kind}${m.deprecated ? ', deprecated' : ''}): ${m.fixedSize ? `${m.minSize} bytes` : `at least ${m.minSize} bytes`}.`;
  w.doc(comment ? `${head}\n\n${comment}` : head);
  w.open(`export interface ${name} {`);
  emitFields(w, m.fields, false, scope, true);
  w.close();
  w.doc(`Encode input of ${m.name}: fields with a default, client_index, context and counts may be omitted.`);
  w.open(`export interface ${name}Input {`);
  emitFields(w, m.fields, true, scope, true);
  w.close();
  w.line();

  const mdef = scope.rtType('MessageDef');
  const msgLit = `'${m.name}'`;
  const codec = new CodecEmitter(w, scope, m.name);

  w.open(`function encode${name}(msgId: number, v: ${name}Input): Uint8Array {`);
  w.open('try {');
  w.line(
    `if ((msgId & 0xffff) !== msgId) throw ${scope.rt('badValue')}(${msgLit}, '_vl_msg_id', 'u16', msgId);`,
  );
  if (m.fixedSize) {
    w.line(`const b = new Uint8Array(${m.minSize});`);
  } else {
    w.line(`let size = ${m.minSize};`);
    codec.sizeOf(m.fields, 'v');
    w.line('const b = new Uint8Array(size);');
    w.line('let o = 0;');
  }
  w.line('b[0] = msgId >>> 8; b[1] = msgId;');
  codec.encodeFields(m.fields, 'v', { base: null, off: 2 }, '', true);
  if (!m.fixedSize) w.line('void o;');
  w.line('return b;');
  w.mid('} catch (e) {');
  w.line(`throw ${scope.rt('asEncodeError')}(${msgLit}, e);`);
  w.close();
  w.close();
  w.line();

  w.open(`function decode${name}(p: Uint8Array): ${name} {`);
  w.open('try {');
  w.line('const n = p.length;');
  w.line(`if (n < ${m.minSize}) throw ${scope.rt('truncated')}(${msgLit}, ${layout(m)}, n);`);
  if (!m.fixedSize) w.line('let o = 0;');
  const r = codec.decodeFields(m.fields, { base: null, off: 2 }, '', false);
  if (!m.fixedSize) w.line('void o;');
  w.line(`return ${r.expr};`);
  w.mid('} catch (e) {');
  w.line(`throw ${scope.rt('asDecodeError')}(${msgLit}, e, p?.length ?? 0);`);
  w.close();
  w.close();
  w.line();

  w.doc(
    `MessageDef of ${m.name}: look up by \`nameCrc\`, encode with the runtime's message id, decode its payload.`,
  );
  const tsOf = (n: string) => mod.messages.find((x) => x.name === n)?.tsName ?? '';
  const replyType = m.reply !== undefined ? `${mdef}<${tsOf(m.reply)}Input, ${tsOf(m.reply)}>` : undefined;
  const detailsType =
    m.details !== undefined ? `${mdef}<${tsOf(m.details)}Input, ${tsOf(m.details)}>` : undefined;
  const typeArgs = [
    `${name}Input`,
    name,
    ...(replyType ? [replyType] : []),
    ...(detailsType ? [detailsType] : []),
  ];
  w.open(`export const ${name}Def: ${mdef}<${typeArgs.join(', ')}> = {`);
  w.line(`name: ${msgLit},`);
  w.line(`crc: '${m.crc}',`);
  w.line(`nameCrc: '${m.name}_${m.crc.slice(2)}',`);
  w.line(`module: '${mod.module}',`);
  w.line(`kind: '${m.kind}',`);
  w.line(`minSize: ${m.minSize},`);
  w.line(`fixedSize: ${m.fixedSize},`);
  const def = (n: string) => `${tsOf(n)}Def`;
  if (m.reply !== undefined) w.line(`get reply(): ${replyType} { return ${def(m.reply)}; },`);
  if (m.stream) w.line('stream: true,');
  if (m.details !== undefined) w.line(`get details(): ${detailsType} { return ${def(m.details)}; },`);
  if (m.events !== undefined) {
    w.line(`get events(): readonly ${mdef}[] { return [${m.events.map(def).join(', ')}]; },`);
  }
  w.line(`encode: encode${name},`);
  w.line(`decode: decode${name},`);
  w.close('};');
  w.line();
}
