import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { PingClient } from '/work/main/dist/src/transport/ping-client.js';
import { spawn } from 'node:child_process';
const url = 'redis://127.0.0.1:6390';
const prefix = 'b' + Math.random().toString(36).slice(2, 8);
const N = 300;
const med = (a) => { a.sort((x, y) => x - y); return a[Math.floor(a.length / 2)]; };
// hero-worker process
const child = spawn('node', ['/work/main/dist/src/cli/hero-worker.js', '--script-type', 'python', '--worker-id', 'bw', '--redis-url', url, '--prefix', prefix, '--log-level', 'warn'], { stdio: 'ignore' });
const client = new PingClient({ redis: url, prefix });
for (;;) { const o = await client.ping('bw', { timeoutMs: 500 }); if (o.type === 'ok') break; }
// raw bullmq worker in a separate process for fairness
const rawWorkerSrc = `import { Worker } from 'bullmq'; const w = new Worker('raw', async () => ({ ok: 1 }), { connection: { host: '127.0.0.1', port: 6390 }, prefix: '${prefix}' }); await w.waitUntilReady(); console.log('ready');`;
const raw = spawn('node', ['--input-type=module', '-e', rawWorkerSrc], { cwd: '/work/main', stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((r) => raw.stdout.once('data', r));
const conn = new Redis(url, { maxRetriesPerRequest: null });
const q = new Queue('raw', { connection: conn, prefix });
const qe = new QueueEvents('raw', { connection: { host: '127.0.0.1', port: 6390 }, prefix });
await qe.waitUntilReady();
const results = { ping: [], raw: [], redis: [] };
for (let round = 0; round < 3; round++) {
  for (let i = 0; i < N / 3; i++) { const t = performance.now(); const o = await client.ping('bw', { timeoutMs: 2000 }); if (o.type !== 'ok') throw new Error(o.type); results.ping.push(performance.now() - t); }
  for (let i = 0; i < N / 3; i++) { const t = performance.now(); const j = await q.add('x', {}, { removeOnComplete: { count: 100 } }); await j.waitUntilFinished(qe, 2000); results.raw.push(performance.now() - t); }
  for (let i = 0; i < N / 3; i++) { const t = performance.now(); await conn.ping(); results.redis.push(performance.now() - t); }
}
const p = med(results.ping), r = med(results.raw), d = med(results.redis);
console.log(JSON.stringify({ pingMedianMs: +p.toFixed(3), rawBullmqMedianMs: +r.toFixed(3), redisPingMedianMs: +d.toFixed(3), ratio: +(p / r).toFixed(2) }));
await client.close(); await q.obliterate({ force: true }).catch(() => {}); await q.close(); await qe.close(); conn.disconnect();
child.kill('SIGTERM'); raw.kill('SIGTERM');
