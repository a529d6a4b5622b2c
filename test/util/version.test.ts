// The version constants printed by --version agree with package.json and the pinned VPP API input.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MAGLEVD_VERSION, VPP_API_VERSION, versionText } from '../../src/util/version.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('version', () => {
  it('is the package.json version', () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string };
    expect(MAGLEVD_VERSION).toBe(pkg.version);
  });

  it('names the VPP build of codegen/api/VERSION.txt', () => {
    const txt = readFileSync(`${root}codegen/api/VERSION.txt`, 'utf8');
    const m = /^show version:\s+vpp v(\S+)/m.exec(txt);
    expect(m?.[1]).toBe(VPP_API_VERSION);
    expect(versionText('maglevd')).toBe(`maglevd ${MAGLEVD_VERSION} (VPP API ${VPP_API_VERSION})`);
  });
});
