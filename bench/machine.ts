// What else the machine was doing during the bench, so that a low figure on a shared or
// oversubscribed machine can be recognised as such: the share of CPU time used by other
// processes and the share taken by the hypervisor (steal), from /proc/stat and
// /proc/self/stat. Linux only; elsewhere nothing is said.

import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export interface CpuSnapshot {
  /** All CPUs, in clock ticks (USER_HZ). */
  total: number;
  idle: number;
  steal: number;
  /** This process (all threads) and its waited-for children (openssl speed), in clock ticks. */
  self: number;
}

export function readCpuSnapshot(): CpuSnapshot | undefined {
  try {
    // "cpu  user nice system idle iowait irq softirq steal guest guest_nice" (guest is counted in user)
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    // /proc/self/stat: "pid (comm) state ..."; utime, stime, cutime, cstime are fields 14-17.
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const rest = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    const self = rest.slice(11, 15).reduce((a, b) => a + b, 0);
    if (f.length < 8 || f.some((x) => !Number.isFinite(x)) || !Number.isFinite(self)) return undefined;
    return { total: f.reduce((a, b) => a + b, 0), idle: f[3]! + f[4]!, steal: f[7]!, self };
  } catch {
    return undefined;
  }
}

/** Shares of all CPU time between two snapshots: other processes' use, and hypervisor steal. */
export function machineShares(
  from: CpuSnapshot | undefined,
  to: CpuSnapshot | undefined,
): { others: number; steal: number } | undefined {
  if (!from || !to || to.total <= from.total) return undefined;
  const total = to.total - from.total;
  const busy = total - (to.idle - from.idle) - (to.steal - from.steal);
  return { others: Math.max(0, busy - (to.self - from.self)) / total, steal: (to.steal - from.steal) / total };
}

export function cores(): number {
  return availableParallelism();
}

/** Clock ticks per second of /proc's CPU times (USER_HZ; 100 on Linux's usual builds). */
const USER_HZ = 100;

function statTimes(path: string): { comm: string; own: number; children: number } | undefined {
  try {
    const stat = readFileSync(path, 'utf8');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const rest = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    return { comm, own: rest[11]! + rest[12]!, children: rest[13]! + rest[14]! };
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of this process's waited-for children (a command the bench spawned counts once it
 * has exited and been reaped); the difference across a command is that command's CPU time.
 */
export function childrenCpuSeconds(): number | undefined {
  const t = statTimes('/proc/self/stat');
  return t === undefined ? undefined : t.children / USER_HZ;
}

/**
 * CPU seconds used so far by the processes named `comm` (e.g. the local PostgreSQL server: its
 * live backends plus, through the postmaster's children times, those that have exited).
 * Other users of the same server count too.
 */
export function processCpuSeconds(comm: string): number | undefined {
  try {
    let ticks = 0;
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const t = statTimes(`/proc/${pid}/stat`);
      if (t?.comm === comm) ticks += t.own + t.children;
    }
    return ticks / USER_HZ;
  } catch {
    return undefined;
  }
}
