import { spawn } from 'node:child_process';
import { PingClient } from '/work/main/dist/src/transport/ping-client.js';
const url = 'redis://127.0.0.1:6390';
const client = new PingClient({ redis: url, prefix: 'ms' });
const res = [];
const bare = [];
for (let i = 0; i < 7; i++) {
  let t0 = performance.now();
  const b = spawn(process.execPath, ['-e', '0']); await new Promise((r) => b.on('exit', r)); bare.push(performance.now() - t0);
  t0 = performance.now();
  const id = 'm' + i + Math.random().toString(36).slice(2, 6);
  const child = spawn(process.execPath, ['/work/main/dist/src/cli/hero-worker.js', '--script-type', 'python', '--worker-id', id, '--redis-url', url, '--prefix', 'ms'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let own; child.stderr.on('data', (d) => { const m = /"sinceProcessStartMs":(\d+)/.exec(String(d)); if (m) own = +m[1]; });
  for (;;) { const o = await client.ping(id, { timeoutMs: 50 }); if (o.type === 'ok') break; }
  res.push({ spawnToPingOk: Math.round(performance.now() - t0), ownReady: own });
  child.kill('SIGTERM'); await new Promise((r) => child.on('exit', r));
}
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(JSON.stringify({ spawnToPingOkMedian: med(res.map((r) => r.spawnToPingOk)), ownReadyMedian: med(res.map((r) => r.ownReady ?? 0)), bareNodeMedian: Math.round(med(bare)) }), JSON.stringify(res));
await client.close();
