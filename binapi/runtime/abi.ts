// The runtime/generated contract version: every generated module imports this marker, so a mismatch fails tsc.

/**
 * Bumped (and renamed) whenever the helpers the generated code calls change incompatibly. Generated modules
 * import it by name, so modules generated for another runtime do not type-check against this one.
 */
export const BINAPI_RUNTIME_ABI_1 = 1 as const;
