// What the machine was doing during the bench: the load average before it starts and the
// share of CPU time the hypervisor took (steal, /proc/stat), so that a slow figure on a busy
// or oversubscribed machine can be recognised as such. Linux only; elsewhere nothing is said.

import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

export interface CpuTimes {
  total: number;
  steal: number;
  idle: number;
}

/** The aggregate "cpu" line of /proc/stat, or undefined where there is none. */
export function readCpuTimes(): CpuTimes | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest is in user)
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
    if (f.length < 8 || f.some((x) => !Number.isFinite(x))) return undefined;
    return { total: f.reduce((a, b) => a + b, 0), steal: f[7]!, idle: f[3]! + f[4]! };
  } catch {
    return undefined;
  }
}

export function stealShare(from: CpuTimes | undefined, to: CpuTimes | undefined): number | undefined {
  if (!from || !to || to.total <= from.total) return undefined;
  return (to.steal - from.steal) / (to.total - from.total);
}

export function cores(): number {
  return availableParallelism();
}

export function loadAverage(): number {
  return loadavg()[0] ?? 0;
}
