// The daemon's version, read once from package.json so the User-Agent and `--version` never drift from it.
import { createRequire } from 'node:module';

// src/util/version.ts and dist/util/version.js are both two levels below the package root.
const pkg = createRequire(import.meta.url)('../../package.json') as { version?: unknown };

/** VERSION is package.json's `version` ("0.0.0" if it is somehow missing). */
export const VERSION: string = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
