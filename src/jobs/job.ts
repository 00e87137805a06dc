/**
 * A validated job: what `JobBuilder.build()` returns and what `Supervisor` sends. Immutable; `toData()` gives the
 * wire shape (`JobData`, see `src/transport/wire-protocol.ts`).
 */
import type { JobData } from '../transport/wire-protocol.js';
import type { ScriptType } from './script-type.js';

export interface JobFields {
  /** uuid; also the BullMQ job id. */
  id: string;
  scriptType: ScriptType;
  script: string;
  env: Readonly<Record<string, string>>;
  /** The worker kills the script after this long. */
  timeoutMs: number;
  /** Further attempts after a failed one (BullMQ `attempts` = retries + 1). */
  retries: number;
  callerId: string;
  contextId: string;
  /** Epoch ms. */
  createdAt: number;
}

export class Job implements Readonly<JobFields> {
  readonly id: string;
  readonly scriptType: ScriptType;
  readonly script: string;
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly callerId: string;
  readonly contextId: string;
  readonly createdAt: number;

  /** Use `JobBuilder` (or `supervisor.newJob()`): it validates; this constructor trusts its input. */
  constructor(fields: JobFields) {
    this.id = fields.id;
    this.scriptType = fields.scriptType;
    this.script = fields.script;
    this.env = Object.freeze({ ...fields.env });
    this.timeoutMs = fields.timeoutMs;
    this.retries = fields.retries;
    this.callerId = fields.callerId;
    this.contextId = fields.contextId;
    this.createdAt = fields.createdAt;
    Object.freeze(this);
  }

  /** The BullMQ job data (retries travel as BullMQ `attempts`, not in the data). */
  toData(): JobData {
    return {
      id: this.id,
      scriptType: this.scriptType,
      script: this.script,
      env: { ...this.env },
      timeoutMs: this.timeoutMs,
      callerId: this.callerId,
      contextId: this.contextId,
      createdAt: this.createdAt,
    };
  }
}
