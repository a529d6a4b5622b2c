// docs/config.schema.json is generated from the zod schema and must not drift; docs/config.md names every key.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configJsonSchemaText } from '../../src/config/json-schema.js';

const docs = fileURLToPath(new URL('../../docs/', import.meta.url));

interface JsonSchema {
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
}

type JsonSchemaAny = JsonSchema & { properties?: Record<string, JsonSchemaAny> } & Record<string, unknown>;

/** Every key name the schema declares, at any depth. */
function keys(s: JsonSchema | boolean | undefined, out = new Set<string>()): Set<string> {
  if (s === undefined || typeof s === 'boolean') return out;
  for (const [k, v] of Object.entries(s.properties ?? {})) {
    out.add(k);
    keys(v, out);
  }
  keys(s.additionalProperties, out);
  keys(s.items, out);
  for (const x of [...(s.oneOf ?? []), ...(s.anyOf ?? [])]) keys(x, out);
  return out;
}

describe('config JSON Schema', () => {
  it('matches docs/config.schema.json (run `npm run config:schema` after changing the schema)', () => {
    expect(readFileSync(`${docs}config.schema.json`, 'utf8')).toBe(configJsonSchemaText());
  });

  it('lets a duration be a string or the number 0, keeping its default', () => {
    const lb = (JSON.parse(configJsonSchemaText()) as { properties: Record<string, JsonSchemaAny> })
      .properties.maglev?.properties?.vpp?.properties?.lb?.properties;
    expect(lb?.['startup-min-delay']).toMatchObject({
      anyOf: [{ type: 'string', pattern: expect.any(String) }, { const: 0 }],
      default: '5s',
    });
    expect(lb?.['flow-timeout']).toMatchObject({ anyOf: [{ type: 'string' }, { const: 0 }], default: '40s' });
  });

  it('has every key documented in docs/config.md', () => {
    const md = readFileSync(`${docs}config.md`, 'utf8');
    const all = keys(JSON.parse(configJsonSchemaText()) as JsonSchema);
    expect(all.size).toBeGreaterThan(30);
    // A key counts as documented when it appears in code, alone or as the last part of a path (`maglev.vpp`).
    const missing = [...all].filter((k) => !new RegExp(`\`([a-z0-9.-]+\\.)?${k}\``).test(md));
    expect(missing).toEqual([]);
  });
});
