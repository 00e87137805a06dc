import { spawn } from 'node:child_process';
import { SupervisorBuilder } from 'hero-supervisor';
const url = 'redis://127.0.0.1:6390', prefix = 'sd' + Math.random().toString(36).slice(2, 6);
const w = spawn(process.execPath, ['dist/src/cli/hero-worker.js', '--script-type', 'python', '--worker-id', 'sd', '--redis-url', url, '--prefix', prefix, '--shutdown-timeout', '300', '--log-level', 'debug'], { stdio: ['ignore', 'ignore', 'pipe'] });
w.stderr.on('data', (d) => process.stdout.write('[w] ' + d));
const sup = new SupervisorBuilder().redisUrl(url).prefix(prefix).build();
for (;;) { if ((await sup.pingWorker('sd', { timeoutMs: 300 })).type === 'ok') break; }
const job = sup.newJob().scriptType('python').scriptContent('import time\ntime.sleep(20)').build();
sup.startJob(job);
await new Promise((r) => setTimeout(r, 1000));
const t = Date.now();
w.kill('SIGTERM');
w.on('exit', (c, s) => console.log('exit', c, s, Date.now() - t, 'ms'));
await new Promise((r) => setTimeout(r, 8000));
console.log('status', await sup.getJobStatus(job.id));
w.kill('SIGKILL');
await sup.close();
