// Build identity: the maglevd version and the VPP API the bindings were generated from (checked by a test).

/** The package version (package.json); a test fails if the two disagree. */
export const MAGLEVD_VERSION = '0.1.0';

/**
 * The VPP build whose .api.json files the bindings were generated from (codegen/api/VERSION.txt, its
 * `show version` line); a test fails if it drifts from that file.
 */
export const VPP_API_VERSION = '26.10-rc0~374-gb575ec2c56d';

/** versionText is what `--version` prints. */
export function versionText(program: string): string {
  return `${program} ${MAGLEVD_VERSION} (VPP API ${VPP_API_VERSION})`;
}

/** VERSION is MAGLEVD_VERSION under the name the checker's User-Agent uses. */
export const VERSION: string = MAGLEVD_VERSION;
