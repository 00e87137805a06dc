/**
 * The specification of one script type's pool as seen from outside (issue 13), written by hand: the number of
 * workers stays within [min, max]; a manual scale moves it by one; a scale beyond a bound is refused with a
 * ConfigError and changes nothing; a scale-down while one worker is busy removes an idle one and the busy one
 * finishes its job; a queue deeper than the pool scales it up at once, clamped to max.
 */
import { assign, setup } from 'xstate';

export const POOL_LIMITS = { min: 1, max: 3 } as const;

export type ScalerSpecEvent =
  | { type: 'SCALE_UP' }
  | { type: 'SCALE_DOWN' }
  | { type: 'SCALE_ABOVE_MAX' }
  | { type: 'SCALE_BELOW_MIN' }
  | { type: 'BUSY' }
  | { type: 'JOB_DONE' }
  | { type: 'QUEUE_BURST' };

export const SCALER_SPEC_EVENTS: ScalerSpecEvent[] = [
  'SCALE_UP',
  'SCALE_DOWN',
  'SCALE_ABOVE_MAX',
  'SCALE_BELOW_MIN',
  'BUSY',
  'JOB_DONE',
  'QUEUE_BURST',
].map((type) => ({ type }) as ScalerSpecEvent);

export interface ScalerSpecContext {
  last: string | null;
  count: number;
  /** The `scaler:scaled` event the last step must have produced (`from→to reason`), or null for none. */
  scaled: string | null;
  /** The last step was refused with this bound in its ConfigError. */
  refused: 'min' | 'max' | null;
}

export function serializeScalerSpecState(snapshot: { value: unknown; context: ScalerSpecContext }): string {
  return JSON.stringify({ value: snapshot.value, count: snapshot.context.count });
}

interface Step {
  last: string;
  by?: number;
  to?: number;
  reason?: string;
  refused?: 'min' | 'max';
}

const step = (params: Step) => ({ type: 'step' as const, params });

export const scalerSpec = setup({
  types: { context: {} as ScalerSpecContext, events: {} as ScalerSpecEvent },
  actions: {
    step: assign(({ context }, params: Step) => {
      const count = params.to ?? context.count + (params.by ?? 0);
      return {
        last: params.last,
        count,
        scaled: params.reason === undefined ? null : `${context.count}→${count} ${params.reason}`,
        refused: params.refused ?? null,
      };
    }),
  },
  guards: {
    belowMax: ({ context }) => context.count < POOL_LIMITS.max,
    aboveMin: ({ context }) => context.count > POOL_LIMITS.min,
  },
}).createMachine({
  id: 'scalerSpec',
  initial: 'allIdle',
  context: { last: null, count: POOL_LIMITS.min, scaled: null, refused: null },
  states: {
    // Every worker of the pool is up and idle.
    allIdle: {
      on: {
        SCALE_UP: { guard: 'belowMax', actions: step({ last: 'allIdle.SCALE_UP', by: 1, reason: 'manual' }) },
        SCALE_DOWN: { guard: 'aboveMin', actions: step({ last: 'allIdle.SCALE_DOWN', by: -1, reason: 'manual' }) },
        SCALE_ABOVE_MAX: { actions: step({ last: 'allIdle.SCALE_ABOVE_MAX', refused: 'max' }) },
        SCALE_BELOW_MIN: { actions: step({ last: 'allIdle.SCALE_BELOW_MIN', refused: 'min' }) },
        BUSY: { target: 'oneBusy', actions: step({ last: 'allIdle.BUSY' }) },
        // More jobs waiting than the pool can take: up at once to what the depth asks for, clamped to max.
        QUEUE_BURST: {
          guard: 'belowMax',
          actions: step({ last: 'allIdle.QUEUE_BURST', to: POOL_LIMITS.max, reason: 'autoscale-up' }),
        },
      },
    },
    // One worker runs a long job; the others are idle.
    oneBusy: {
      on: {
        SCALE_UP: { guard: 'belowMax', actions: step({ last: 'oneBusy.SCALE_UP', by: 1, reason: 'manual' }) },
        // Idle first: the busy worker stays and finishes its job.
        SCALE_DOWN: { guard: 'aboveMin', actions: step({ last: 'oneBusy.SCALE_DOWN', by: -1, reason: 'manual' }) },
        JOB_DONE: { target: 'allIdle', actions: step({ last: 'oneBusy.JOB_DONE' }) },
      },
    },
  },
});

export const SCALER_SPEC_TRANSITIONS = [
  'allIdle.SCALE_UP',
  'allIdle.SCALE_DOWN',
  'allIdle.SCALE_ABOVE_MAX',
  'allIdle.SCALE_BELOW_MIN',
  'allIdle.BUSY',
  'allIdle.QUEUE_BURST',
  'oneBusy.SCALE_UP',
  'oneBusy.SCALE_DOWN',
  'oneBusy.JOB_DONE',
] as const;

export const SCALER_SPEC_STATES = ['allIdle', 'oneBusy'] as const;
