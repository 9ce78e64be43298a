import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileRow {
  name: string;
  ms: number;
  /** Percent of the busy (non-idle) time. */
  percent: number;
}

export interface ProfileSummary {
  file: string;
  wallMs: number;
  busyMs: number;
  /** Busy time as a share of wall time: ~100 % means the service's one core was saturated. */
  busyPercent: number;
  topSelf: ProfileRow[];
  topInclusive: ProfileRow[];
  byPackage: ProfileRow[];
}

const IDLE = new Set(['(idle)', '(program)']);
/** The profiler's own start/stop calls (bench/service-hook.cjs) are not the service's work. */
const HOOK = 'service-hook.cjs';

function inHook(id: number, byId: Map<number, ProfileNode>, parent: Map<number, number>): boolean {
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    if (byId.get(at)?.callFrame.url.endsWith(HOOK)) return true;
  }
  return false;
}

function shortUrl(url: string): string {
  if (!url) return '';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, '');
}

function frameName(frame: CallFrame): string {
  const fn = frame.functionName || '(anonymous)';
  const where = shortUrl(frame.url);
  return where ? `${fn} ${where}:${frame.lineNumber + 1}` : fn;
}

/** node_modules package, node internals, our dist/ code, or a V8 pseudo-frame. */
function packageOf(frame: CallFrame): string {
  const url = frame.url;
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const dist = url.indexOf('/dist/');
  if (dist >= 0)
    return `service ${url
      .slice(dist + 1)
      .split('/')
      .slice(0, 2)
      .join('/')}`;
  return url;
}

function top(map: Map<string, number>, busyUs: number, n: number): ProfileRow[] {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, percent: Math.round((us / busyUs) * 1000) / 10 }));
}

/** Self time by function, inclusive time by function (each function once per stack) and self time by package. */
export function summarizeProfile(file: string, n = 10): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const packages = new Map<string, number>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node || IDLE.has(node.callFrame.functionName) || inHook(id, byId, parent)) continue;
    busyUs += us;
    const name = frameName(node.callFrame);
    self.set(name, (self.get(name) ?? 0) + us);
    const pkg = packageOf(node.callFrame);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame || frame.functionName === '(root)') continue;
      const key = frameName(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  const wallUs = profile.endTime - profile.startTime;
  return {
    file,
    wallMs: Math.round(wallUs / 1000),
    busyMs: Math.round(busyUs / 1000),
    busyPercent: Math.round((busyUs / wallUs) * 1000) / 10,
    topSelf: top(self, busyUs, n),
    topInclusive: top(inclusive, busyUs, n),
    byPackage: top(packages, busyUs, n),
  };
}

export function profileMarkdown(summary: ProfileSummary): string {
  const table = (title: string, rows: ProfileRow[]): string =>
    [
      `| ${title} | ms | % of busy |`,
      '|---|---:|---:|',
      ...rows.map((r) => `| \`${r.name}\` | ${r.ms} | ${r.percent} |`),
    ].join('\n');
  return [
    `Profile \`${summary.file}\`: ${summary.wallMs} ms wall, ${summary.busyMs} ms busy (${summary.busyPercent} % of one core).`,
    '',
    table('self time, by package', summary.byPackage),
    '',
    table('self time, by function', summary.topSelf),
    '',
    table('inclusive time, by function', summary.topInclusive),
  ].join('\n');
}
