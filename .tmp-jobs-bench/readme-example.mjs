import { ScriptType, SupervisorBuilder } from 'hero-supervisor';

const supervisor = new SupervisorBuilder()
  .redisUrl(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
  .callerId('readme')
  .contextId('demo')
  .build();

const job = supervisor
  .newJob()
  .scriptType(ScriptType.Python)
  .scriptContent('print(6*7)')
  .timeout(10_000)
  .build();

console.log(await supervisor.runJobAndAwaitResult(job, { timeoutMs: 15_000 })); // 42
console.log(await supervisor.getJobStatus(job.id)); // completed
console.log(await supervisor.pingWorker('python_worker_0', { timeoutMs: 1_000 })); // { type: 'ok', reply: {...}, latencyMs }
await supervisor.close();
