import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** Microseconds of CPU by package and by function, each self and inclusive (once per stack). */
export interface ProfileSummary {
  busyUs: number;
  byPackage: Map<string, number>;
  /** Time under any frame of the package: for a start, what loading it (and what it loads) costs. */
  underPackage: Map<string, number>;
  self: Map<string, number>;
  inclusive: Map<string, number>;
}

const IDLE = new Set(['(idle)', '(program)', '(root)']);
const maps = new Map<string, SourceMap | undefined>();

/**
 * A frame's file and line in the sources: through the source map of the checkout's own scripts
 * (dist/, a bundle among them); a package's file already names its package.
 */
function locate(frame: CallFrame): { url: string; line: number } {
  if (!frame.url.startsWith('file://') || frame.url.includes('/node_modules/'))
    return { url: frame.url, line: frame.lineNumber + 1 };
  const file = fileURLToPath(frame.url);
  if (!maps.has(file)) {
    const map = `${file}.map`;
    maps.set(file, existsSync(map) ? new SourceMap(JSON.parse(readFileSync(map, 'utf8')) as never) : undefined);
  }
  const entry = maps.get(file)?.findEntry(frame.lineNumber, frame.columnNumber);
  // No mapping: `{}`, or (a generated frame of a bundle) an entry without a source.
  if (!entry || !('originalSource' in entry) || typeof entry.originalSource !== 'string')
    return { url: file, line: frame.lineNumber + 1 };
  // A bundle's sources are webpack://<name>/./<path>; a package's are relative to its map.
  const source = entry.originalSource.replace(/^webpack:\/\/[^/]*\/(\.\/)?/, '');
  const url = /^[a-z]+:/.test(entry.originalSource) ? source : resolve(dirname(file), source);
  return { url, line: entry.originalLine + 1 };
}

/** node_modules/<package>, node:<module>, the checkout's own folder (src/auth, …) or a V8 pseudo-frame. */
function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const [scope, name] = url.slice(nm + 'node_modules/'.length).split('/');
    return scope.startsWith('@') ? `${scope}/${name}` : scope;
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  return /(?:^|\/)((?:src|bench|dist)\/[^/]+)/.exec(short(url))?.[1] ?? url;
}

/** The path from node_modules or the checkout (the floors' build in bench/out/build stands for its sources). */
const short = (url: string): string =>
  url
    .replace(/^.*node_modules\//, '')
    .replace(/^.*?\/bench\/out\/build\//, '')
    .replace(/^.*?\/((src|bench|dist)\/)/, '$1');

export function summarizeProfile(file: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

  const summary: ProfileSummary = {
    busyUs: 0,
    byPackage: new Map(),
    underPackage: new Map(),
    self: new Map(),
    inclusive: new Map(),
  };
  const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);
  const names = new Map<number, { name: string; pkg: string; hook: boolean }>();
  const describe = (id: number) => {
    let known = names.get(id);
    if (!known) {
      const frame = (byId.get(id) as CpuProfile['nodes'][number]).callFrame;
      const { url, line } = locate(frame);
      const fn = frame.functionName || '(anonymous)';
      known = {
        name: url ? `${fn} ${short(url)}:${line}` : fn,
        pkg: packageOf(url, frame.functionName),
        hook: url.endsWith('service-hook.cjs'),
      };
      names.set(id, known);
    }
    return known;
  };
  for (const [id, us] of selfUs) {
    const stack: number[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) stack.push(at);
    // The profiler's own start and stop (bench/service-hook.cjs) are not the process's work.
    if (IDLE.has(describe(id).name) || stack.some((at) => describe(at).hook)) continue;
    summary.busyUs += us;
    add(summary.self, describe(id).name, us);
    add(summary.byPackage, describe(id).pkg, us);
    for (const name of new Set(stack.map((at) => describe(at).name).filter((name) => !IDLE.has(name))))
      add(summary.inclusive, name, us);
    for (const pkg of new Set(stack.map((at) => describe(at).pkg).filter((pkg) => !/^(node:|\()/.test(pkg))))
      add(summary.underPackage, pkg, us);
  }
  return summary;
}

const topOf = (map: Map<string, number>, n: number) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n);

/**
 * Markdown: CPU per unit of work by package (self time, or with `under` the time under the
 * package's frames) for the measured process beside its reference, largest differences first;
 * then the functions whose self time differs most, and the measured process's top functions by
 * self and by inclusive time. `per` divides µs into the unit shown.
 */
export function profileMarkdown(
  measured: ProfileSummary,
  reference: ProfileSummary,
  options: {
    per: [measured: number, reference: number];
    unit: string;
    reference: string;
    measured?: string;
    under?: boolean;
  },
): string {
  const { per, unit } = options;
  const name = options.measured ?? 'service';
  const field = options.under ? 'underPackage' : 'byPackage';
  const show = (value: number | undefined, n: number) => ((value ?? 0) / n).toFixed(1);
  const diff = (a: number | undefined, b: number | undefined) => (a ?? 0) / per[0] - (b ?? 0) / per[1];
  const largest = (a: Map<string, number>, b: Map<string, number>, n: number) =>
    [...new Set([...a.keys(), ...b.keys()])]
      .sort((x, y) => Math.abs(diff(a.get(y), b.get(y))) - Math.abs(diff(a.get(x), b.get(x))))
      .slice(0, n);
  const row = (label: string, a: number | undefined, b: number | undefined) =>
    `| ${label} | ${show(a, per[0])} | ${show(b, per[1])} | ${diff(a, b).toFixed(1)} |`;
  const rows = [
    `| ${options.under ? 'under package' : 'package (self)'} | ${name}, ${unit} | ${options.reference}, ${unit} | difference |`,
    '|---|---:|---:|---:|',
    row('(all)', measured.busyUs, reference.busyUs),
    ...largest(measured[field], reference[field], 10).map((pkg) =>
      row(`\`${pkg}\``, measured[field].get(pkg), reference[field].get(pkg)),
    ),
  ];
  if (!options.under)
    rows.push(
      '',
      `| function (self) | ${name}, ${unit} | ${options.reference}, ${unit} | difference |`,
      '|---|---:|---:|---:|',
      ...largest(measured.self, reference.self, 12).map((fn) =>
        row(`\`${fn}\``, measured.self.get(fn), reference.self.get(fn)),
      ),
    );
  rows.push('', `| ${name}: top functions | self, ${unit} | function (inclusive) | ${unit} |`, '|---|---:|---|---:|');
  const self = topOf(measured.self, 6);
  const inclusive = topOf(measured.inclusive, 6);
  for (let i = 0; i < self.length; i++)
    rows.push(
      `| \`${self[i][0]}\` | ${show(self[i][1], per[0])} | \`${inclusive[i]?.[0] ?? ''}\` | ${show(inclusive[i]?.[1], per[0])} |`,
    );
  return rows.join('\n');
}
