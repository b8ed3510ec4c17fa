/**
 * Where the CPU went: reads `.cpuprofile` files (from `node --cpu-prof --cpu-prof-dir=DIR`) and
 * prints self time by function and by module as Markdown, paths relative to the working folder.
 * With `--windows LOG`, only the samples inside the phases a benchmark logged (`cpu-window` lines
 * on its stderr, see `phase` in bench/harness.ts) count; `--phase NAME` keeps the phases whose
 * name starts with NAME.
 *
 * `--callers NAME` adds, for the functions named NAME (native ones such as `writev` have no
 * place of their own), the nearest caller in a package or in the project, by self time.
 *
 *   node dist/bench/profile-summary.js <file.cpuprofile | folder>... [--top 20] [--windows stderr.log [--phase NAME]] [--callers NAME]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

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
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** A script's place, relative to the working folder; outside it, from its node_modules on. */
function where(url: string): string {
  if (!url) return '';
  if (url.startsWith('node:')) return url;
  const file = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  if (!path.isAbsolute(file)) return file;
  const modules = file.lastIndexOf('/node_modules/');
  if (modules >= 0) return file.slice(modules + 1);
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') ? path.basename(file) : relative;
}

/** The module a frame belongs to: a package, a Node internal area, a project folder, or V8's own. */
function moduleOf(frame: CallFrame): string {
  const at = where(frame.url);
  if (!at) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  if (at.startsWith('node:')) return at.split('/').slice(0, 2).join('/');
  const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(at);
  if (pkg) return pkg[1]!;
  // A script with no folder: the SDK's workflow bundle (named by its hash) or code a vm evaluated.
  return path.dirname(at) === '.' ? at.replace(/-[0-9a-f]{12,}\.js$/, '.js') : path.dirname(at);
}

function profilesIn(args: string[]): string[] {
  return args.flatMap((a) =>
    statSync(a).isDirectory()
      ? readdirSync(a)
          .filter((f) => f.endsWith('.cpuprofile'))
          .map((f) => path.join(a, f))
      : [a],
  );
}

/** `--name value` options out of the arguments; what is left are the profiles. */
function options(args: string[]): { files: string[]; option: (name: string) => string | undefined } {
  const values = new Map<string, string>();
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i]!.startsWith('--')) values.set(args[i]!, args[++i] ?? '');
    else files.push(args[i]!);
  }
  return { files, option: (name) => values.get(name) };
}

/** The phases' windows (µs, monotonic clock) from a benchmark's stderr. */
function windowsFrom(log: string, phaseName: string | undefined): Array<[number, number]> {
  return readFileSync(log, 'utf8')
    .split('\n')
    .map((line) => /^cpu-window (.+) (\d+):(\d+)$/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null && (phaseName === undefined || m[1]!.startsWith(phaseName)))
    .map((m) => [Number(m[2]), Number(m[3])]);
}

function main(): void {
  const { files: given, option } = options(process.argv.slice(2));
  const top = Number(option('--top') ?? 20);
  const files = profilesIn(given);
  if (!files.length) throw new Error('usage: profile-summary <file.cpuprofile | folder>... [--top N] [--windows LOG [--phase NAME]]');
  const log = option('--windows');
  const windows = log ? windowsFrom(log, option('--phase')) : undefined;
  if (windows && !windows.length) throw new Error(`no cpu-window lines${option('--phase') ? ` for ${option('--phase')}` : ''} in ${log}`);
  const inWindow = (t: number) => !windows || windows.some(([a, b]) => t >= a && t <= b);

  const callersOf = option('--callers');
  const byFunction = new Map<string, number>();
  const byModule = new Map<string, number>();
  const byCaller = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  let total = 0;
  const perFile: string[] = [];
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const parents = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parents.set(c, n.id);
    /** The nearest frame above `id` that lives in a package or in the project (not in Node itself). */
    const caller = (id: number): string => {
      for (let p = parents.get(id); p !== undefined; p = parents.get(p)) {
        const f = nodes.get(p)!.callFrame;
        const at = where(f.url);
        if (at && !at.startsWith('node:')) return `${f.functionName || '(anonymous)'} — ${at}:${f.lineNumber + 1}`;
      }
      return '(none)';
    };
    let fileTotal = 0;
    let fileIdle = 0;
    let t = profile.startTime;
    profile.samples.forEach((id, i) => {
      const us = profile.timeDeltas[i] ?? 0;
      t += us;
      if (!inWindow(t)) return;
      const frame = nodes.get(id)!.callFrame;
      fileTotal += us;
      if (frame.functionName === '(idle)') fileIdle += us;
      const at = where(frame.url);
      add(byFunction, `${frame.functionName || '(anonymous)'}${at ? ` — ${at}:${frame.lineNumber + 1}` : ''}`, us);
      add(byModule, moduleOf(frame), us);
      if (callersOf && frame.functionName === callersOf) add(byCaller, caller(id), us);
    });
    total += fileTotal;
    // Node names them CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile; thread 0 is the main thread.
    const [, pid, thread] = /\.(\d+)\.(\d+)\.\d+\.cpuprofile$/.exec(file) ?? [];
    perFile.push(`${pid ? `process ${pid} thread ${thread}` : path.basename(file)}: ${((fileTotal - fileIdle) / 1e6).toFixed(1)} s busy of ${(fileTotal / 1e6).toFixed(1)} s`);
  }
  const busy = total - (byModule.get('(idle)') ?? 0);
  const rows = (m: Map<string, number>) =>
    [...m]
      .filter(([k]) => k !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `| ${k.replace(/\|/g, '\\|')} | ${(us / 1e3).toFixed(0)} | ${((100 * us) / busy).toFixed(1)} |`);
  console.log(
    [
      `${files.length} profile(s)${windows ? `, ${windows.length} phase window(s)` : ''}: ${perFile.join('; ')}. Busy (not idle): ${(busy / 1e6).toFixed(1)} s of ${(total / 1e6).toFixed(1)} s.`,
      '',
      '| module | self ms | % of busy |',
      '| --- | --- | --- |',
      ...rows(byModule),
      '',
      '| function — where | self ms | % of busy |',
      '| --- | --- | --- |',
      ...rows(byFunction),
      ...(callersOf ? ['', `| nearest caller of ${callersOf} in a package or the project | self ms | % of busy |`, '| --- | --- | --- |', ...rows(byCaller)] : []),
    ].join('\n'),
  );
}

main();
