/**
 * The demo's sizes and timings. `full` is what `npm start` shows a new user (under a minute); `short` is the
 * same story, smaller, for the test suite (`--profile short` or HERO_DEMO_PROFILE=short).
 */
import { SECOND } from '../config/duration.js';

export interface DemoProfile {
  name: 'short' | 'full';
  /** Python jobs in the batch. */
  jobs: number;
  /** Each job sleeps this long, so that the queue builds up and the autoscaler has something to do. */
  jobSleepMs: number;
  minWorkers: number;
  maxWorkers: number;
  /** Autoscaler target: desired workers = ceil(queue depth / this). */
  targetJobsPerWorker: number;
  stabilizationWindowMs: number;
  cooldownMs: number;
  /** Short, so that workers go idle and get pinged while you watch. */
  idleTimeoutMs: number;
  pingIntervalMs: number;
  /** How long each phase may take before the demo says so and moves on. */
  phaseTimeoutMs: number;
}

export const DEMO_PROFILES: Record<DemoProfile['name'], DemoProfile> = {
  full: {
    name: 'full',
    jobs: 60,
    jobSleepMs: 250,
    minWorkers: 1,
    maxWorkers: 4,
    targetJobsPerWorker: 2,
    stabilizationWindowMs: 3 * SECOND,
    cooldownMs: 2 * SECOND,
    idleTimeoutMs: 2 * SECOND,
    pingIntervalMs: 2 * SECOND,
    phaseTimeoutMs: 30 * SECOND,
  },
  short: {
    name: 'short',
    jobs: 12,
    jobSleepMs: 100,
    minWorkers: 1,
    maxWorkers: 2,
    targetJobsPerWorker: 2,
    stabilizationWindowMs: SECOND,
    cooldownMs: SECOND,
    idleTimeoutMs: SECOND,
    pingIntervalMs: SECOND,
    phaseTimeoutMs: 30 * SECOND,
  },
};
