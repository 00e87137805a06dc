/**
 * Loads BullMQ with `require` instead of `import`: BullMQ ships CommonJS, and importing it from ESM makes Node lex
 * every re-exported file for named exports (~60 ms of hero-worker's start-up, measured on Node 20). Same module
 * instance either way (one require cache).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function loadBullmq(): typeof import('bullmq') {
  return require('bullmq') as typeof import('bullmq');
}
