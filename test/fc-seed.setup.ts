/**
 * Every fc.assert of a test file runs with the run's seed (test/fc-seed.global-setup.ts). Without that global setup
 * (the mutation config) the seed is FC_SEED or a fixed one: a mutant must be killed or survive the same way each run.
 */
import fc from 'fast-check';
import { inject } from 'vitest';
import { seedFromEnv } from './fc-seed.js';

const FIXED_SEED = 13;

fc.configureGlobal({ seed: inject('fcSeed') ?? seedFromEnv() ?? FIXED_SEED });
