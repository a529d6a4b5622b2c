#!/usr/bin/env node
// maglevctl's executable: runs the compiled CLI (npm run build produces dist/).
import { main } from '../dist/cli/main.js';

await main();
