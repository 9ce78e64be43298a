import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';
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

/** One run as the tables show it. */
export function runText(format: RunFormat | undefined, value: object): string {
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
  /** How one run reads in the tables. */
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
  /** The run before this one, as its RESULTS.md recorded it: for "what changed". */
  previousSummary?: PreviousSummary;
}

export interface PreviousSummary {
  date: string;
  commit: string;
  sourceHash: string;
  figures: Record<string, { display: string; median: Record<string, number> }>;
}

const SUMMARY_MARK = 'bench-summary';
const ANALYSIS_START = '<!-- analysis:start -->';
const ANALYSIS_END = '<!-- analysis:end -->';

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
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  let memTotal = `${(totalmem() / 1024 ** 3).toFixed(1)}Gi`;
  try {
    const free = execFileSync('free', ['-h'], { encoding: 'utf8' });
    memTotal = /^Mem:\s+(\S+)/m.exec(free)?.[1] ?? memTotal;
  } catch {
    // free(1) missing: os.totalmem() it is
  }
  return {
    nproc: availableParallelism(),
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown',
    memTotal,
    node: process.version,
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
  };
}

function git(root: string, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : [path];
    });
}

/** Which code was measured: the commit, uncommitted changes, and a hash of what was built and served. */
export function sourceInfo(root: string) {
  const hash = createHash('sha256');
  for (const file of [...files(join(root, 'src')), ...files(join(root, 'views'))]) {
    hash.update(file.slice(root.length));
    hash.update(readFileSync(file));
  }
  return {
    commit: git(root, ['rev-parse', '--short', 'HEAD']),
    subject: git(root, ['log', '-1', '--format=%s']),
    uncommitted: git(root, ['status', '--porcelain', '--', 'src', 'views', 'package.json']).split('\n').filter(Boolean),
    sourceHash: hash.digest('hex').slice(0, 12),
  };
}

/** The summary a previous RESULTS.md carries in a comment, and its analysis section. */
export function previousResults(file: string): { summary?: PreviousSummary; analysis?: string } {
  if (!existsSync(file)) return {};
  const text = readFileSync(file, 'utf8');
  const match = new RegExp(`<!-- ${SUMMARY_MARK} (.*?) -->`, 's').exec(text);
  const start = text.indexOf(ANALYSIS_START);
  const end = text.indexOf(ANALYSIS_END);
  return {
    summary: match ? (JSON.parse(match[1]) as PreviousSummary) : undefined,
    analysis: start >= 0 && end > start ? text.slice(start + ANALYSIS_START.length, end).trim() : undefined,
  };
}

const verdict = (f: Figure): string => (f.met === undefined ? '—' : f.met ? '**met**' : '**missed**');

function runCell(f: Figure): string {
  if (f.runs.length === 0) return '';
  return f.runs
    .map((r) => {
      const text = runText(f.runFormat, r.value);
      return r.disturbed ? `${text} (disturbed)` : text;
    })
    .join('; ');
}

function changes(results: BenchResults, previous?: PreviousSummary): string {
  if (!previous) return 'Baseline: no earlier run recorded in this file.';
  const lines = [
    `Previous run: ${previous.date}, commit ${previous.commit}, source hash ${previous.sourceHash}.`,
    `This run: commit ${results.source.commit}, source hash ${results.source.sourceHash}` +
      (previous.sourceHash === results.source.sourceHash
        ? ' (same src/ and views/ as before).'
        : ' (src/ or views/ changed).'),
  ];
  if (typeof results.args.note === 'string') lines.push('', `Note given with this run: ${results.args.note}`);
  lines.push('', '| figure | before | now |', '|---|---|---|');
  for (const f of results.figures) {
    const before = previous.figures[f.key];
    lines.push(`| ${f.title} | ${before ? before.display : '(not measured)'} | ${f.display} |`);
  }
  return lines.join('\n');
}

/** Figures in the order of the brief (their titles start with its number); stable within one number. */
function inOrder(figures: Figure[]): Figure[] {
  const number = (f: Figure): number => Number(/^(\d+)\./.exec(f.title)?.[1] ?? 99);
  return [...figures].sort((a, b) => number(a) - number(b));
}

export function renderResults(
  results: BenchResults,
  previous: { summary?: PreviousSummary; analysis?: string },
): string {
  results = { ...results, figures: inOrder(results.figures) };
  const { machine, pinning, settings, source } = results;
  const summary: PreviousSummary = {
    date: results.date,
    commit: source.commit,
    sourceHash: source.sourceHash,
    figures: Object.fromEntries(results.figures.map((f) => [f.key, { display: f.display, median: f.median }])),
  };
  const runRows = results.figures.flatMap((f) =>
    f.runs.map(
      (r, i) =>
        `| ${f.key} | ${i + 1}${r.attempt > 1 ? ' (retried)' : ''} | ${runText(f.runFormat, r.value)} | ` +
        `${r.quiet.loadavg1} | ${r.quiet.foreignCores} → ${r.cpu.foreignCores}${r.disturbed ? ' ⚠' : ''} | ` +
        `${Object.entries(r.cpu.byProcess)
          .map(([n, c]) => `${n} ${c}`)
          .join(', ')} |`,
    ),
  );
  const out = [
    '# Benchmark results',
    '',
    `Generated by \`npm run bench\` (bench/run.ts). Run started ${results.date}, finished ${results.finished}.`,
    'Raw data of every run: `bench/out/results-*.json` (git-ignored).',
    '',
    '## Machine and method',
    '',
    `- Machine: ${machine.nproc} CPUs (\`nproc\`), ${machine.cpuModel}, ${machine.memTotal} RAM (\`free -h\` total), Node ${machine.node}, Linux ${machine.kernel}.`,
    `- Pinning: ${
      pinning.used
        ? `yes (taskset): the service (and the bare reference servers) on CPU ${String(pinning.service)}; the load generator (autocannon and the sign-in client, this process) and the Webex emulator on CPU ${String(pinning.loadGenerator)}.`
        : 'no (taskset not found): every process floats over all CPUs.'
    }`,
    `- Service: \`node dist/main.js\` built by \`nest build\`${results.buildMs ? ` (${results.buildMs} ms)` : ''}, NODE_ENV=${String(settings.nodeEnv)}, LOG_LEVEL=${String(settings.logLevel)}, SESSION_STORE=${String(settings.sessionStore)}, LOGIN_RATE_LIMIT=0, against the standalone emulator (\`dist/sandbox/cli.js --test-controls --auto-consent alice\`) as Webex, signed in as Alice (7 spaces).`,
    `- Load: autocannon 9 in-process, ${String(settings.connections)} connections, ${String(settings.durationS)} s per run after an unmeasured warm-up; every response checked (status 2xx and the exact expected body, else the run fails). Sign-in flows: ${String(settings.flowConcurrency)} parallel browsers, each hop checked.`,
    `- Each figure is the median of 3 runs (cold start: 5). Before each run the bench waits (up to 60 s) until other people's processes use < ${String(settings.maxForeignCores)} cores, measured from /proc (all CPU minus the bench's own processes); the 1-minute load average is recorded too but is not the gate after the first run, because right after a 10 s full-load run it mostly shows the bench itself. A run during which foreign CPU rose ≥ ${String(settings.maxForeignCores)} cores is redone once and marked ⚠ if it was disturbed again. Load at start of the bench: ${results.startLoad.loadavg1}.`,
    `- Code measured: commit ${source.commit} (${source.subject}), source hash ${source.sourceHash}${
      source.uncommitted.length
        ? `, with uncommitted changes in ${source.uncommitted.length} file(s): ${source.uncommitted.map((l) => `\`${l.slice(3)}\``).join(', ')}`
        : ', no uncommitted changes'
    }.`,
    '',
    '## Figures',
    '',
    '| figure | median | the runs | target | verdict |',
    '|---|---|---|---|---|',
    ...results.figures.map((f) => `| ${f.title} | ${f.display} | ${runCell(f)} | ${f.target ?? '—'} | ${verdict(f)} |`),
    '',
    '### Every run',
    '',
    'Load = 1-minute load average at the start; foreign = cores used by other processes just before → during the run; CPU = cores used by each of the bench processes during the run (service pinned to one core: 1.0 = saturated).',
    '',
    '| figure | run | result | load | foreign | CPU by process |',
    '|---|---|---|---|---|---|',
    ...runRows,
    '',
    '## What changed since the last run',
    '',
    changes(results, previous.summary),
    '',
  ];
  if (results.profiles.length > 0) {
    out.push('## Profiles of the service under load', '');
    for (const p of results.profiles) out.push(`### ${p.figure}`, '', p.markdown, '');
  }
  if (results.diagnosticErrors?.length) {
    out.push('## Diagnostics that failed', '', ...results.diagnosticErrors.map((e) => `- ${e}`), '');
  }
  const mem = results.memoryDiagnostic;
  if (mem) {
    const row = (n: number, v: Record<string, number>) =>
      `| ${n.toLocaleString('en')} | ${v.heapUsedPerSession.toLocaleString('en')} | ${v.externalPerSession.toLocaleString('en')} | ${v.rssAfterGcPerSession.toLocaleString('en')} |`;
    out.push(
      '## Memory after a full GC (diagnostic)',
      '',
      'A separate service started with `--expose-gc` and bench/service-hook.cjs; the same sign-ins as figure 6, with two full GCs before each reading. Not the figure (the figure is RSS without a forced GC): it says how much of the RSS per session is live data.',
      '',
      '| sessions | V8 heap used per session (B) | external per session (B) | RSS after GC per session (B) |',
      '|---:|---:|---:|---:|',
      row(mem.sessions[0], mem.first),
      row(mem.sessions[1], mem.total),
      '',
    );
  }
  out.push(
    '## Analysis',
    '',
    ANALYSIS_START,
    previous.analysis ?? '_No analysis written yet for these figures._',
    ANALYSIS_END,
    '',
    '## Not measured',
    '',
    '- The Redis session store (SESSION_STORE=redis): memory per session and latency with a network store.',
    '- TLS: the service and the emulator speak plain HTTP on loopback; real Webex is HTTPS (handshakes and encryption cost CPU the figures leave out).',
    '- More than one service process (no cluster); memory figures are RSS (no forced GC in the child), so they include garbage not yet collected.',
    '- Token refresh under load, Webex errors and retries, users with many spaces (carol: 2,600, paging).',
    '',
    `<!-- ${SUMMARY_MARK} ${JSON.stringify(summary)} -->`,
    '',
  );
  return out.join('\n');
}
