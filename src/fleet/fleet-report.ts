/** What `GET /fleet` and `hero-supervisor status --fleet` show: every live member, its workers, and per type the fleet's counts. */
import type { TypeAssignment } from './assignments.js';
import { effectiveBounds, type FleetTypeLimits } from './fleet-bounds.js';
import type { MembershipView, MemberWorker } from './membership.js';

export interface FleetMemberReport {
  hostId: string;
  pid: number;
  startedAt: number;
  /** Ms until its heartbeat lapses (Redis time). */
  expiresInMs: number;
  coordinator: boolean;
  capacity: Record<string, number>;
  running: Record<string, number>;
  stopping: Record<string, number>;
  /** Its share per script type, as assigned now. */
  assigned: Record<string, number>;
  workers: MemberWorker[];
  adminEndpoint?: string;
}

export interface FleetTypeReport {
  scriptType: string;
  /** The stored desired count (manual or autoscaled). */
  desired: number;
  /** Desired within [min, max] of the live fleet: what the shares add up to. */
  effective: number;
  min: number;
  max: number;
  running: number;
  stopping: number;
}

export interface FleetReport {
  /** The member that answered. */
  hostId: string;
  prefix: string;
  coordinator: string | null;
  token: number | null;
  members: FleetMemberReport[];
  scriptTypes: FleetTypeReport[];
}

export interface FleetReportInput {
  hostId: string;
  prefix: string;
  view: MembershipView;
  lease: { holder: string | null; token: number | null };
  desired: Record<string, number>;
  assignments: Record<string, TypeAssignment | undefined>;
  limits: ReadonlyMap<string, FleetTypeLimits>;
}

export function buildFleetReport(input: FleetReportInput): FleetReport {
  const { view, lease, assignments } = input;
  const members = view.members.map(({ record, expiresAt }): FleetMemberReport => {
    const assigned: Record<string, number> = {};
    for (const [type, assignment] of Object.entries(assignments)) {
      const share = assignment?.shares[record.hostId];
      if (share !== undefined) assigned[type] = share;
    }
    return {
      hostId: record.hostId,
      pid: record.pid,
      startedAt: record.startedAt,
      expiresInMs: Math.max(0, expiresAt - view.now),
      coordinator: record.hostId === lease.holder,
      capacity: record.capacity,
      running: record.running,
      stopping: record.stopping,
      assigned,
      workers: record.workers,
      ...(record.adminEndpoint !== undefined && { adminEndpoint: record.adminEndpoint }),
    };
  });
  const scriptTypes = [...input.limits].map(([scriptType, limits]): FleetTypeReport => {
    const bounds = effectiveBounds(
      limits,
      members.map((member) => member.capacity[scriptType] ?? 0),
    );
    const desired = input.desired[scriptType] ?? limits.min;
    const sum = (pick: (member: FleetMemberReport) => number | undefined) =>
      members.reduce((total, member) => total + (pick(member) ?? 0), 0);
    return {
      scriptType,
      desired,
      effective: Math.max(bounds.min, Math.min(bounds.max, desired)),
      min: bounds.min,
      max: bounds.max,
      running: sum((member) => member.running[scriptType]),
      stopping: sum((member) => member.stopping[scriptType]),
    };
  });
  return {
    hostId: input.hostId,
    prefix: input.prefix,
    coordinator: lease.holder,
    token: lease.token,
    members,
    scriptTypes,
  };
}
