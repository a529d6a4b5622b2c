// `npm start`: demo backends on loopback plus maglevd on the built-in simulator, and what to try next.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_BACKENDS, startDemoBackends } from './demo-backends.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const runDir = join(root, '.tmp');
mkdirSync(runDir, { recursive: true });
const socket = relative(process.cwd(), join(runDir, 'maglevd.sock')) || join(runDir, 'maglevd.sock');
const config = relative(process.cwd(), join(root, 'examples', 'demo.yaml'));

const backends = await startDemoBackends();
const ctl = `node ${relative(process.cwd(), join(root, 'bin', 'maglevctl.js'))} --socket ${socket}`;
process.stderr.write(
  [
    '',
    'maglevd quick start: the daemon runs on the built-in VPP lb simulator; its JSON log follows.',
    `demo backends: ${DEMO_BACKENDS.map((b) => `${b.name} ${b.host}:${b.port} (${b.behaviour})`).join(', ')}`,
    '',
    'In another terminal, try:',
    `  ${ctl} show frontends`,
    `  ${ctl} show backends web4`,
    `  ${ctl} show vpp lb`,
    `  ${ctl} explain web web4`,
    `  ${ctl} set backend web2 disable`,
    `  ${ctl} set weight web primary web1 20`,
    `  ${ctl} show plan`,
    `  ${ctl} watch`,
    '  curl -s 127.0.0.1:9091/metrics | grep maglev_frontend',
    '',
    'Ctrl-C stops everything.',
    '',
  ].join('\n'),
);

const daemon = spawn(
  process.execPath,
  [join(root, 'bin', 'maglevd.js'), '--config', config, '--vpp-api', 'sim', '--control-socket', socket],
  { stdio: 'inherit' },
);
const stop = () => daemon.kill('SIGTERM');
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
daemon.on('exit', async (code) => {
  await backends.close();
  process.exit(code ?? 0);
});
