import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Kernel clock ticks per second (USER_HZ); 100 on every Linux this runs on. */
const HZ = 100;

interface Sample {
  at: number;
  /** Busy ticks of the whole machine (user, nice, system, irq, softirq). */
  busy: number;
  perPid: Map<number, number>;
}

export interface CpuUse {
  /** Cores used by processes that are not the bench or its children: other people's work. */
  foreignCores: number;
  /** Cores used by each of the bench's processes, by name. */
  byProcess: Record<string, number>;
  /** CPU seconds (user + system) each of the bench's processes used in the window, unrounded. */
  secondsByProcess: Record<string, number>;
}

function machineTicks(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const [user, nice, system, , , irq, softirq] = line.trim().split(/\s+/).slice(1).map(Number);
  return user + nice + system + irq + softirq;
}

function processTicks(pid: number, file = `/proc/${pid}/stat`): number | undefined {
  try {
    const stat = readFileSync(file, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** The threads of a Node process by what they do, from their names (`/proc/PID/task/TID/comm`). */
function threadGroup(tid: number, pid: number, name: string): string {
  if (tid === pid) return 'main thread';
  if (/^(V8Worker|DelayedTaskSche)/.test(name)) return 'V8 workers (GC, compiler)';
  if (name.startsWith('libuv-worker')) return 'libuv thread pool';
  return 'other threads';
}

/**
 * CPU ticks of a process by thread group: what a profile of the main thread cannot see (V8's
 * concurrent GC and compiler, libuv's pool doing file writes and `node:crypto`'s async work).
 * Threads that ended meanwhile are not counted.
 */
export function threadTicks(pid: number): Map<string, number> {
  const groups = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return groups;
  }
  for (const tid of tids) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const ticks = processTicks(Number(tid), `/proc/${pid}/task/${tid}/stat`);
      const group = threadGroup(Number(tid), pid, name);
      if (ticks !== undefined) groups.set(group, (groups.get(group) ?? 0) + ticks);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return groups;
}

/** Ticks by thread group between two `threadTicks` readings, in seconds. */
export function threadSeconds(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...after].map(([group, ticks]) => [group, (ticks - (before.get(group) ?? 0)) / HZ]));
}

/**
 * Splits CPU use into "ours" (the bench and its children) and "foreign" (other people's work on
 * this shared machine). The load average cannot tell them apart: right after a run at full load
 * it is high because of the bench itself.
 */
export class CpuMeter {
  /** Final CPU ticks of children the bench stopped, so a run that stops one still counts its work as ours. */
  private readonly retired: { pid: number; name: string; ticks: number; at: number }[] = [];

  constructor(private readonly ours: () => ReadonlyMap<string, number>) {}

  /** Call just before stopping a child. */
  retire(name: string, pid: number): void {
    const ticks = processTicks(pid);
    if (ticks !== undefined) this.retired.push({ pid, name, ticks, at: performance.now() });
    if (this.retired.length > 100) this.retired.shift();
  }

  sample(): Sample {
    const perPid = new Map<number, number>();
    for (const pid of new Set([process.pid, ...this.ours().values()])) {
      const ticks = processTicks(pid);
      if (ticks !== undefined) perPid.set(pid, ticks);
    }
    return { at: performance.now(), busy: machineTicks(), perPid };
  }

  use(from: Sample, to: Sample = this.sample()): CpuUse {
    const cores = (ticks: number): number => ticks / HZ / Math.max((to.at - from.at) / 1000, 1e-3);
    const use: CpuUse = { foreignCores: 0, byProcess: {}, secondsByProcess: {} };
    let ours = 0;
    const names = new Map([[process.pid, 'bench'], ...[...this.ours()].map(([n, p]) => [p, n] as const)]);
    const add = (name: string, ticks: number): void => {
      ours += ticks;
      use.byProcess[name] = round((use.byProcess[name] ?? 0) + cores(ticks));
      use.secondsByProcess[name] = (use.secondsByProcess[name] ?? 0) + ticks / HZ;
    };
    // A child started during the run has all its ticks in the window.
    for (const [pid, end] of to.perPid) add(names.get(pid) ?? String(pid), end - (from.perPid.get(pid) ?? 0));
    for (const r of this.retired)
      if (r.at > from.at && r.at <= to.at && !to.perPid.has(r.pid))
        add(r.name, r.ticks - (from.perPid.get(r.pid) ?? 0));
    use.foreignCores = round(Math.max(0, cores(to.busy - from.busy) - cores(ours)));
    return use;
  }
}

/**
 * Waits (up to maxWaitMs) until other people's processes use less than `maxForeignCores` over a
 * second; `quiet` is false when they never did and the run goes ahead anyway (and is marked).
 */
export async function waitForQuiet(meter: CpuMeter, maxForeignCores: number, maxWaitMs: number) {
  const started = performance.now();
  let foreignCores: number;
  do {
    const from = meter.sample();
    await sleep(1000);
    foreignCores = meter.use(from).foreignCores;
  } while (foreignCores >= maxForeignCores && performance.now() - started < maxWaitMs);
  const waitedMs = Math.round(performance.now() - started - 1000);
  return { foreignCores, waitedMs, quiet: foreignCores < maxForeignCores };
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
