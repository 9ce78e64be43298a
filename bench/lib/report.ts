import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';

/** One figure: the service beside its reference from the same run, and how they compare. */
export interface Figure {
  key: string;
  title: string;
  /** The service's median, as shown. */
  service: string;
  /** The reference's name and median. */
  reference: string;
  /** Median of the per-round comparisons (service / reference, or a difference). */
  comparison: string;
  /** Each round's comparison; a disturbed round is marked. */
  rounds: string;
  /** None when the reference is another build of the service (`--ab`). */
  target?: string;
  met?: boolean;
  /** The medians, for bench/out's JSON. */
  values: Record<string, number>;
}

export interface BenchResults {
  date: string;
  machine: ReturnType<typeof machineInfo>;
  setup: string;
  figures: Figure[];
  /** Markdown sections: the profiles and memory readings behind missed targets. */
  diagnostics: string[];
  failure?: string;
}

/** RESULTS.md's generated part sits between these: the method and the conclusions around it are written by hand. */
const BLOCK_START = '<!-- bench:start: written by `npm run bench`, edit outside the markers -->';
const BLOCK_END = '<!-- bench:end -->';

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The q-quantile (0…1) of values, by the nearest rank below. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
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

/** The generated part of RESULTS.md: the run's machine and settings, the figures, and the diagnostics. */
export function renderResults(results: BenchResults): string {
  const { machine } = results;
  return [
    `${machine.nproc} CPUs (${machine.cpuModel}), ${machine.memTotal} RAM, Node ${machine.node}, Linux ${machine.kernel}; ${results.setup}`,
    '',
    '| figure | service | reference, same run | service vs reference | the rounds | target | verdict |',
    '|---|---|---|---|---|---|---|',
    ...results.figures.map(
      (f) =>
        `| ${f.title} | ${f.service} | ${f.reference} | ${f.comparison} | ${f.rounds} | ${f.target ?? '—'} | ${f.met === undefined ? '—' : f.met ? '**met**' : '**missed**'} |`,
    ),
    '',
    ...results.diagnostics.flatMap((section) => [section, '']),
  ].join('\n');
}

/** `text` with the part between its markers replaced by `block` (appended, with markers, when it has none). */
export function withBlock(text: string, block: string): string {
  const start = text.indexOf(BLOCK_START);
  const end = text.indexOf(BLOCK_END);
  const marked = `${BLOCK_START}\n\n${block}\n${BLOCK_END}`;
  if (start < 0 || end < start) return `${text.trimEnd()}\n\n${marked}\n`;
  return text.slice(0, start) + marked + text.slice(end + BLOCK_END.length);
}
