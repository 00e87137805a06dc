/**
 * The shared ProcessManager contract (issue 3) run against ZinitProcessManager over both protocol doubles.
 * The doubles keep Zinit's real timings (2 s restart after any exit, health check retried every 2 s); the capability
 * flags tell the contract about them. `close()` only disconnects from Zinit, so the doubles themselves are closed
 * (killing what they run) in cleanup.
 */
import { ZinitProcessManager } from '../../../src/process/zinit/zinit-process-manager.js';
import { ZinitJsonRpcDouble } from '../../doubles/zinit-jsonrpc-double.js';
import { ZinitLegacyDouble } from '../../doubles/zinit-legacy-double.js';
import { describeProcessManager } from '../process-manager.contract.js';

const zinitCapabilities = {
  restartDelayMs: 2000,
  observeDelayMs: 250,
  healthCheckRetryMs: 2000,
  closeStopsServices: false,
} as const;

describeProcessManager(
  'ZinitProcessManager (legacy protocol double)',
  async () => {
    const double = await ZinitLegacyDouble.start();
    const manager = new ZinitProcessManager({ socketPath: double.socketPath, configDir: double.configDir });
    return { manager, cleanup: () => double.close() };
  },
  zinitCapabilities,
);

describeProcessManager(
  'ZinitProcessManager (JSON-RPC double)',
  async () => {
    const double = await ZinitJsonRpcDouble.start();
    const manager = new ZinitProcessManager({ socketPath: double.socketPath, configDir: double.configDir });
    return { manager, cleanup: () => double.close() };
  },
  zinitCapabilities,
);
