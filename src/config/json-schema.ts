// The JSON Schema of maglev.yaml, generated from the zod schema, for editors that validate YAML as you type.
import { z } from 'zod';
import { ConfigSchema } from './schema.js';

/**
 * configJsonSchemaText is the exact content of docs/config.schema.json. It describes the input (what an
 * operator writes: defaults are optional keys), not the parsed output. Cross-key rules (stage 2) are not
 * expressible in JSON Schema; `maglevd --check` is the authority.
 */
export function configJsonSchemaText(): string {
  const schema = z.toJSONSchema(ConfigSchema, { io: 'input', target: 'draft-2020-12' });
  return `${JSON.stringify(schema, null, 2)}\n`;
}
