import {
  EmbeddedProcessManager,
  ScriptType,
  SupervisorBuilder,
  WorkerConfig,
  WorkerLifecycleManagerBuilder,
} from 'hero-supervisor';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const supervisor = new SupervisorBuilder().redisUrl(redisUrl).build();

// The worker template: `{workerId}` and `{redisUrl}` are filled in for each instance.
const python = new WorkerConfig('python_worker_0', process.execPath, 'python').withArgs([
  'dist/src/cli/hero-worker.js',
  '--script-type', 'python',
  '--worker-id', '{workerId}',
  '--redis-url', '{redisUrl}',
]);

const processes = new EmbeddedProcessManager();
const manager = new WorkerLifecycleManagerBuilder(processes)
  .withSupervisor(supervisor)
  .addWorker(python)
  .withScriptType('python', { min: 0, max: 4 })
  .build();

manager.on('worker:restarted', (e) => console.log(`restarted ${e.worker}: ${e.reason}`));
manager.on('scaler:scaled', (e) => console.log(`python: ${e.from} -> ${e.to} (${e.reason})`));

await manager.startAllWorkers();

const job = supervisor.newJob().scriptType(ScriptType.Python).scriptContent('print(6*7)').build();
console.log('result:', (await supervisor.runJobAndAwaitResult(job)).trim());

await manager.scaleWorkers('python', 3);
console.log('running:', manager.getRunningWorkerCount('python'));

await manager.restartWorker('python_worker_1');
const { state, pid, restarts, lastJobAt } = manager.getWorkerStatus('python_worker_1');
console.log('python_worker_1:', state, pid > 0, restarts, lastJobAt);

await manager.shutdown();
await supervisor.close();
await processes.close();
