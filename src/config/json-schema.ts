// The JSON Schema of maglev.yaml, generated from the zod schema, for editors that validate YAML as you type.
import { z } from 'zod';
import type { JSONSchema } from 'zod/v4/core';
import { ConfigSchema, isDurationSchema } from './schema.js';

/**
 * A duration field reads a bare YAML `0` (a number) as the duration 0: say so, as "a duration string or the
 * number 0". zod drops the default of a field whose schema starts by rewriting its input; put it back.
 */
function durationOverride(ctx: { zodSchema: z.core.$ZodTypes; jsonSchema: JSONSchema.BaseSchema }): void {
  const s = ctx.zodSchema;
  const def = s._zod.def;
  if (isDurationSchema(s)) {
    const { type, pattern, ...rest } = ctx.jsonSchema;
    for (const k of Object.keys(ctx.jsonSchema)) delete ctx.jsonSchema[k];
    Object.assign(ctx.jsonSchema, rest, { anyOf: [{ type, pattern }, { const: 0 }] });
  } else if (def.type === 'default' && isDurationSchema(def.innerType)) {
    ctx.jsonSchema.default = def.defaultValue;
  }
}

/**
 * configJsonSchemaText is the exact content of docs/config.schema.json. It describes the input (what an
 * operator writes: defaults are optional keys), not the parsed output. Cross-key rules (stage 2) are not
 * expressible in JSON Schema; `maglevd --check` is the authority.
 */
export function configJsonSchemaText(): string {
  const schema = z.toJSONSchema(ConfigSchema, {
    io: 'input',
    target: 'draft-2020-12',
    override: durationOverride,
  });
  return `${JSON.stringify(schema, null, 2)}\n`;
}
