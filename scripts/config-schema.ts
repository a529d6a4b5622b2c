// Writes docs/config.schema.json from the zod schema (`npm run config:schema`); a test fails when it drifts.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configJsonSchemaText } from '../src/config/json-schema.js';

const out = fileURLToPath(new URL('../docs/config.schema.json', import.meta.url));
writeFileSync(out, configJsonSchemaText());
console.log(`wrote ${out}`);
