// Import rules between layers (see docs/architecture.md): checked by `npm run deps:check` inside `npm test`.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'binapi-is-standalone',
      comment:
        'binapi (vpp-binapi-ts) is its own package: generated modules plus their runtime, nothing else.',
      severity: 'error',
      from: { path: '^binapi/' },
      to: { pathNot: ['^binapi/', '^node_modules/@types/', 'node:'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'codegen-is-standalone',
      comment: 'The generator must not depend on what it generates or on the daemon.',
      severity: 'error',
      from: { path: '^codegen/' },
      to: { path: ['^src/', '^binapi/'] },
    },
    {
      name: 'src-not-test',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: ['^test/', '^bench/'] },
    },
    {
      name: 'nothing-imports-daemon',
      severity: 'error',
      from: { pathNot: '^src/daemon/' },
      to: { path: '^src/daemon/' },
    },
    {
      name: 'vppapi-is-generic',
      comment:
        'src/vppapi speaks the binary API in general: it may use memclnt and the runtime, never a plugin module.',
      severity: 'error',
      from: { path: '^src/vppapi/' },
      to: {
        path: ['^binapi/'],
        pathNot: ['^binapi/memclnt\\.ts$', '^binapi/runtime/'],
      },
    },
    {
      name: 'vppapi-layer',
      severity: 'error',
      from: { path: '^src/vppapi/' },
      to: { path: '^src/', pathNot: ['^src/(vppapi|log|util)/'] },
    },
    {
      name: 'only-dataplane-names-lb',
      comment: 'The lb plugin messages are named in src/dataplane (and the simulator in src/model/sim) only.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/dataplane/', '^src/daemon/', '^src/sim/'] },
      to: { path: '^binapi/lb(_types)?\\.ts$' },
    },
    {
      name: 'dataplane-layer',
      severity: 'error',
      from: { path: '^src/dataplane/' },
      to: { path: '^src/', pathNot: ['^src/(dataplane|vppapi|model|log|util)/'] },
    },
    {
      name: 'reconciler-layer',
      comment: 'The reconciler is pure: model, util, log, and the dataplane interface as types only.',
      severity: 'error',
      from: { path: '^src/reconciler/' },
      to: {
        path: '^src/',
        pathNot: ['^src/(reconciler|model|log|util)/'],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'reconciler-no-binapi',
      severity: 'error',
      from: { path: '^src/reconciler/' },
      to: { path: '^binapi/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'checker-layer',
      severity: 'error',
      from: { path: '^src/checker/' },
      to: { path: ['^src/', '^binapi/'], pathNot: ['^src/(checker|model|log|util)/'] },
    },
    {
      name: 'config-layer',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: ['^src/', '^binapi/'], pathNot: ['^src/(config|model|util)/'] },
    },
    {
      name: 'model-is-pure',
      severity: 'error',
      from: { path: '^src/model/' },
      to: { path: ['^src/', '^binapi/'], pathNot: ['^src/(model|util)/'] },
    },
    {
      name: 'cli-layer',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: ['^src/', '^binapi/'], pathNot: ['^src/(cli|control|config|model|log|util)/'] },
    },
    {
      name: 'control-layer',
      comment:
        'The control API (protocol, server, client) sees the daemon only through its ControlTarget port: no reconciler, checker or dataplane.',
      severity: 'error',
      from: { path: '^src/control/' },
      to: { path: ['^src/', '^binapi/'], pathNot: ['^src/(control|model|log|util)/'] },
    },
    {
      name: 'state-layer',
      comment:
        'The state file (operator state and recent health across restarts) stands alone: model, log, util and Node only.',
      severity: 'error',
      from: { path: '^src/state/' },
      to: { path: ['^src/', '^binapi/'], pathNot: ['^src/(state|model|log|util)/'] },
    },
    {
      name: 'util-is-leaf',
      severity: 'error',
      from: { path: '^src/util/' },
      to: { path: ['^src/', '^binapi/'], pathNot: '^src/util/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['node_modules', 'dist', '^codegen/api'] },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
    preserveSymlinks: false,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['source', 'import', 'types', 'default'],
      extensions: ['.ts', '.js', '.json'],
    },
  },
};
