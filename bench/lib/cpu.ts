import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/** Kernel clock ticks per second (USER_HZ); 100 on every Linux this runs on. */
export const HZ = 100;

interface Sample {
  at: number;
  /** Busy ticks of the whole machine (user, nice, system, irq, softirq). */
  busy: number;
  steal: number;
  perPid: Map<number, number>;
}

export interface CpuUse {
  seconds: number;
  /** Cores' worth of CPU the whole machine used. */
  totalCores: number;
  /** Cores used by processes that are not the bench or its children: other people's work. */
  foreignCores: number;
  stealCores: number;
  /** Cores used by each of the bench's processes, by name. */
  byProcess: Record<string, number>;
  /** CPU seconds (user + system) each of the bench's processes used in the window, unrounded. */
  secondsByProcess: Record<string, number>;
}

function machineTicks(): { busy: number; steal: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return { busy: user + nice + system + irq + softirq, steal: steal ?? 0 };
}

export function processTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/**
 * Splits CPU use into "ours" (the bench and its children) and "foreign" (the other engineers'
 * test suites on this shared machine). The 1-minute load average cannot tell them apart: right
 * after a 10 s run at full load it is high because of the bench itself.
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
    const { busy, steal } = machineTicks();
    const perPid = new Map<number, number>();
    for (const pid of new Set([process.pid, ...this.ours().values()])) {
      const ticks = processTicks(pid);
      if (ticks !== undefined) perPid.set(pid, ticks);
    }
    return { at: performance.now(), busy, steal, perPid };
  }

  use(from: Sample, to: Sample = this.sample()): CpuUse {
    const seconds = (to.at - from.at) / 1000;
    const cores = (ticks: number): number => ticks / HZ / Math.max(seconds, 1e-3);
    const byProcess: Record<string, number> = {};
    const secondsByProcess: Record<string, number> = {};
    let ours = 0;
    const names = new Map<number, string>([
      [process.pid, 'bench'],
      ...[...this.ours()].map(([n, p]) => [p, n] as [number, string]),
    ]);
    const add = (name: string, ticks: number): void => {
      ours += ticks;
      byProcess[name] = round((byProcess[name] ?? 0) + cores(ticks));
      secondsByProcess[name] = (secondsByProcess[name] ?? 0) + ticks / HZ;
    };
    for (const [pid, end] of to.perPid) {
      // A child started during the run: all its ticks are in the window.
      add(names.get(pid) ?? String(pid), end - (from.perPid.get(pid) ?? 0));
    }
    for (const r of this.retired) {
      if (r.at > from.at && r.at <= to.at && !to.perPid.has(r.pid))
        add(r.name, r.ticks - (from.perPid.get(r.pid) ?? 0));
    }
    const total = cores(to.busy - from.busy);
    return {
      seconds: round(seconds),
      totalCores: round(total),
      foreignCores: round(Math.max(0, total - cores(ours))),
      stealCores: round(cores(to.steal - from.steal)),
      byProcess,
      secondsByProcess,
    };
  }

  async measure(ms: number): Promise<CpuUse> {
    const start = this.sample();
    await sleep(ms);
    return this.use(start);
  }
}

export interface QuietCheck {
  /** os.loadavg()[0] when the run started. */
  loadavg1: number;
  /** Foreign CPU over the last second before the run. */
  foreignCores: number;
  waitedMs: number;
  /** False when the machine never got quiet within the wait: the run went ahead and is marked. */
  quiet: boolean;
}

/**
 * Waits (up to maxWaitMs) until other people's processes use less than `maxForeignCores`, and
 * records the 1-minute load average as well. See CpuMeter for why load average alone is not the gate.
 */
export async function waitForQuiet(meter: CpuMeter, maxForeignCores: number, maxWaitMs: number): Promise<QuietCheck> {
  const started = performance.now();
  let use = await meter.measure(1000);
  while (use.foreignCores >= maxForeignCores && performance.now() - started < maxWaitMs) {
    use = await meter.measure(1000);
  }
  return {
    loadavg1: round(loadavg()[0]),
    foreignCores: use.foreignCores,
    waitedMs: Math.round(performance.now() - started - 1000),
    quiet: use.foreignCores < maxForeignCores,
  };
}

/** Waits (up to maxWaitMs) for the 1-minute load average to fall below `max`: used once, before the bench loads the machine. */
export async function waitForLoadAverage(
  max: number,
  maxWaitMs: number,
): Promise<{ loadavg1: number; waitedMs: number }> {
  const started = performance.now();
  while (loadavg()[0] >= max && performance.now() - started < maxWaitMs) await sleep(2000);
  return { loadavg1: round(loadavg()[0]), waitedMs: Math.round(performance.now() - started) };
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
