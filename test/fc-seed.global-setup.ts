/** Picks this run's fast-check seed once (test/fc-seed.ts), prints it and hands it to every test file. */
import type { TestProject } from 'vitest/node';
import { drawSeed, seedFromEnv } from './fc-seed.js';

export default function setup(project: TestProject): void {
  const given = seedFromEnv();
  const seed = given ?? drawSeed();
  console.log(`fast-check seed ${seed}${given === undefined ? ` (re-run with FC_SEED=${seed})` : ' (from FC_SEED)'}`);
  project.provide('fcSeed', seed);
}
