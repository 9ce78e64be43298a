import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import type { CpuUse, QuietCheck } from './cpu';
import type { ProfileSummary } from './profile';

export interface Run<T> {
  value: T;
  quiet: QuietCheck;
  cpu: CpuUse;
  /** Other people's processes used ≥ the threshold during the run (after one retry). */
  disturbed: boolean;
  attempt: number;
}

export type RunFormat = { kind: 'load' } | { kind: 'connections' } | { kind: 'field'; field: string; unit: string };

/** One run as the table shows it. */
function runText(format: RunFormat | undefined, value: object): string {
  const v = value as Record<string, number>;
  if (!format) return 'rps' in v ? runText({ kind: 'load' }, value) : JSON.stringify(value);
  if (format.kind === 'load') return `${v.rps.toLocaleString('en')} req/s · ${v.p50Ms}/${v.p99Ms} ms`;
  if (format.kind === 'connections') return `${v.connections} for ${v.roomsCalls} calls`;
  return `${v[format.field].toLocaleString('en')} ${format.unit}`;
}

export interface Figure {
  key: string;
  title: string;
  median: Record<string, number>;
  runs: Run<object>[];
  target?: string;
  met?: boolean;
  display: string;
  /** How one run reads in the table. */
  runFormat?: RunFormat;
}

export interface BenchResults {
  date: string;
  finished: string;
  args: Record<string, unknown>;
  machine: ReturnType<typeof machineInfo>;
  pinning: Record<string, unknown> & { used: boolean };
  settings: Record<string, unknown>;
  startLoad: { loadavg1: number; waitedMs: number };
  buildMs?: number;
  source: ReturnType<typeof sourceInfo>;
  figures: Figure[];
  profiles: { figure: string; summary: ProfileSummary; markdown: string }[];
  memoryDiagnostic?: {
    sessions: number[];
    base: Record<string, number>;
    atFirst: Record<string, number>;
    atTotal: Record<string, number>;
    first: Record<string, number>;
    total: Record<string, number>;
  };
  failure?: string;
  diagnosticErrors?: string[];
}

/** RESULTS.md's generated part sits between these: the method and the conclusions around it are written by hand. */
export const BLOCK_START = '<!-- bench:start: written by `npm run bench`, edit outside the markers -->';
export const BLOCK_END = '<!-- bench:end -->';

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The q-quantile (0…1) of values, by the nearest rank below. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export function machineInfo() {
  return {
    nproc: availableParallelism(),
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown',
    memTotal: `${Math.floor(totalmem() / 1024 ** 3)} GiB`,
    node: process.version,
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
  };
}

/** Which code was measured, for the raw data in bench/out (RESULTS.md names no commit: git's history does). */
export function sourceInfo(root: string) {
  const git = (args: string[]): string => {
    try {
      return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return '';
    }
  };
  return {
    commit: git(['rev-parse', '--short', 'HEAD']),
    uncommitted: git(['status', '--porcelain', '--', 'src', 'views', 'package.json']).split('\n').filter(Boolean),
  };
}

const verdict = (f: Figure): string => (f.met === undefined ? '—' : f.met ? '**met**' : '**missed**');

function runCell(f: Figure): string {
  return f.runs.map((r) => `${runText(f.runFormat, r.value)}${r.disturbed ? ' (disturbed)' : ''}`).join('; ');
}

/** Figures in the brief's order (titles start with its number; 2b after 2), stable within one number. */
function inOrder(figures: Figure[]): Figure[] {
  const number = (f: Figure): number => {
    const match = /^(\d+)(b?)\./.exec(f.title);
    return match ? Number(match[1]) + (match[2] ? 0.5 : 0) : 99;
  };
  return [...figures].sort((a, b) => number(a) - number(b));
}

/** The generated part of RESULTS.md: the run's machine and settings, the figures, and any diagnostics. */
export function renderResults(results: BenchResults): string {
  const { machine, pinning, settings, args } = results;
  const out = [
    BLOCK_START,
    '',
    `${machine.nproc} CPUs (${machine.cpuModel}), ${machine.memTotal} RAM, Node ${machine.node}, Linux ${machine.kernel}; ${
      pinning.used
        ? `service on CPU ${String(pinning.service)}, load generator and emulator on CPU ${String(pinning.loadGenerator)}`
        : 'nothing pinned (no taskset)'
    }. \`node ${(args.nodeFlags as string[]).join(' ')} dist/main.js\`, LOG_LEVEL=${String(settings.logLevel)}, ` +
      `${String(settings.connections)} connections, ${String(settings.durationS)} s a run; 1-minute load at the start ${results.startLoad.loadavg1}.`,
    '',
    '| figure | median | the runs | target | verdict |',
    '|---|---|---|---|---|',
    ...inOrder(results.figures).map(
      (f) => `| ${f.title} | ${f.display} | ${runCell(f)} | ${f.target ?? '—'} | ${verdict(f)} |`,
    ),
    '',
  ];
  for (const p of results.profiles) out.push(`### Profile of the service under ${p.figure}`, '', p.markdown, '');
  const mem = results.memoryDiagnostic;
  if (mem) {
    const row = (n: number, v: Record<string, number>) =>
      `| ${n.toLocaleString('en')} | ${v.heapUsedPerSession.toLocaleString('en')} | ${v.externalPerSession.toLocaleString('en')} | ${v.rssAfterGcPerSession.toLocaleString('en')} |`;
    out.push(
      '### Memory after a full GC',
      '',
      'A separate service with `--expose-gc` and bench/service-hook.cjs, the same sign-ins as figure 6, two full GCs before each reading: how much of the RSS per session is live data.',
      '',
      '| sessions | V8 heap used per session (B) | external per session (B) | RSS after GC per session (B) |',
      '|---:|---:|---:|---:|',
      row(mem.sessions[0], mem.first),
      row(mem.sessions[1], mem.total),
      '',
    );
  }
  if (results.diagnosticErrors?.length) {
    out.push('### Diagnostics that failed', '', ...results.diagnosticErrors.map((e) => `- ${e}`), '');
  }
  out.push(BLOCK_END);
  return out.join('\n');
}

/** `file`'s text with its generated block replaced by `block` (appended when the file has none). */
export function withBlock(text: string, block: string): string {
  const start = text.indexOf(BLOCK_START);
  const end = text.indexOf(BLOCK_END);
  if (start < 0 || end < start) return `${text.trimEnd()}\n\n${block}\n`;
  return text.slice(0, start) + block + text.slice(end + BLOCK_END.length);
}
