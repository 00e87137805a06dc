import { createActor, fromPromise } from 'xstate';
import { scalerMachine } from '../../machines/scaler.machine.ts';
import { workerMachine } from '../../machines/worker.machine.ts';

const worker = workerMachine.provide({
  actors: {
    startProcess: fromPromise(async () => {}),
    stopProcess: fromPromise(async () => {}),
    restartProcess: fromPromise(async () => {}),
    pingWorker: fromPromise(async () => ({ type: 'transport-down', reason: 'x' }) as const),
    readClock: fromPromise(async () => Date.now()),
  },
  actions: {
    reportStateChange: ({ context, self, event }, params) => {
      if (event.type === 'xstate.init') return;
      self._parent?.send({ type: 'worker.stateChanged', workerId: context.name, state: params.state, busy: false, at: Date.now() });
    },
  },
});
const scaler = scalerMachine.provide({
  actors: { worker },
  actions: { reportScaled: ({ context }) => console.log('scaled', context.lastDecision) },
});
const actor = createActor(scaler, { input: { scriptType: 'python', min: 0, max: 5, initial: 2 } });
actor.start();
const show = () => console.log(actor.getSnapshot().value, Object.values(actor.getSnapshot().context.workers).map((w) => `${w.id}:${w.state}${w.removing ? '(rm)' : ''}`), Object.keys(actor.getSnapshot().children));
show();
for (const [id, child] of Object.entries(actor.getSnapshot().children)) (child as any).send({ type: 'process.running', pid: 1, at: 1 });
await new Promise((r) => setTimeout(r, 10));
show();
actor.send({ type: 'scale.to', count: 4, reason: 'manual', at: 5 });
show();
for (const [id, child] of Object.entries(actor.getSnapshot().children)) (child as any).send({ type: 'process.running', pid: 1, at: 1 });
await new Promise((r) => setTimeout(r, 10));
actor.send({ type: 'scale.to', count: 1, reason: 'manual', at: 6 });
show();
await new Promise((r) => setTimeout(r, 10));
show();
actor.send({ type: 'scaler.drain', at: 7 });
await new Promise((r) => setTimeout(r, 10));
show(); console.log(actor.getSnapshot().status);
