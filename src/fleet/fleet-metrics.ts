/**
 * Fleet gauges on the daemon's own registry, read from the fleet report when `/metrics` is scraped:
 * `hero_fleet_members`, `hero_fleet_workers{host,script_type,state}`, `hero_fleet_assigned{host,script_type}`,
 * `hero_fleet_desired{script_type}`, `hero_fleet_coordinator{host}` (1 for the lease holder).
 */
import { Gauge, type Registry } from 'prom-client';
import type { FleetReport } from './fleet-report.js';

export function registerFleetMetrics(registry: Registry, report: () => Promise<FleetReport>): void {
  // One report per scrape, shared by the gauges collected in that scrape.
  let pending: Promise<FleetReport> | undefined;
  const latest = () => {
    pending ??= report().finally(() => {
      setImmediate(() => {
        pending = undefined;
      });
    });
    return pending;
  };
  new Gauge({
    name: 'hero_fleet_members',
    help: 'Live members of the fleet',
    registers: [registry],
    async collect() {
      this.set((await latest()).members.length);
    },
  });
  new Gauge({
    name: 'hero_fleet_workers',
    help: 'Workers of every fleet member by state',
    labelNames: ['host', 'script_type', 'state'] as const,
    registers: [registry],
    async collect() {
      const fleet = await latest();
      this.reset();
      for (const member of fleet.members)
        for (const worker of member.workers)
          this.inc({ host: member.hostId, script_type: worker.scriptType, state: worker.state });
    },
  });
  new Gauge({
    name: 'hero_fleet_assigned',
    help: "Each member's assigned share per script type",
    labelNames: ['host', 'script_type'] as const,
    registers: [registry],
    async collect() {
      const fleet = await latest();
      this.reset();
      for (const member of fleet.members)
        for (const [type, share] of Object.entries(member.assigned))
          this.set({ host: member.hostId, script_type: type }, share);
    },
  });
  new Gauge({
    name: 'hero_fleet_desired',
    help: "The fleet's desired count per script type, within its bounds",
    labelNames: ['script_type'] as const,
    registers: [registry],
    async collect() {
      const fleet = await latest();
      this.reset();
      for (const type of fleet.scriptTypes) this.set({ script_type: type.scriptType }, type.effective);
    },
  });
  new Gauge({
    name: 'hero_fleet_coordinator',
    help: 'The member holding the coordinator lease (1)',
    labelNames: ['host'] as const,
    registers: [registry],
    async collect() {
      const fleet = await latest();
      this.reset();
      if (fleet.coordinator !== null) this.set({ host: fleet.coordinator }, 1);
    },
  });
}
