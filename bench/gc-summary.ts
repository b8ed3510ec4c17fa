/**
 * Garbage collection pauses per V8 isolate (the main thread, each workflow thread) from a
 * benchmark run under `node --trace-gc`, whose lines V8 prints on stdout beside the benchmark's
 * table. A latency tail that lines up with one isolate's long pauses is that thread's GC.
 *
 *   node --trace-gc dist/bench/m3-decisions.js > run.out
 *   node dist/bench/gc-summary.js run.out [pause-ms=20]
 */
import { readFileSync } from 'node:fs';

interface Isolate {
  maxHeapMiB: number;
  /** ms since the isolate started, of its first and last collection. */
  from: number;
  to: number;
  byKind: Map<string, { count: number; ms: number; max: number }>;
  long: number[];
}

const LINE = /^\[\d+:(0x[0-9a-f]+)\]\s+(\d+) ms: (Scavenge|Mark-Compact(?: \(reduce\))?|Minor Mark-Compact|Mark-Sweep)[^\d]*([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\) MB, (?:pooled: [\d.]+ MB, )?([\d.]+) \/ ([\d.]+) ms/;

function main(): void {
  const [file, pauseArg] = process.argv.slice(2);
  if (!file) {
    console.error('usage: gc-summary <trace-gc output> [pause-ms=20]');
    process.exit(2);
  }
  const longMs = Number(pauseArg ?? 20);
  const isolates = new Map<string, Isolate>();
  for (const text of readFileSync(file, 'utf8').split('\n')) {
    const m = LINE.exec(text);
    if (!m) continue;
    const [, id, at, kind, , , , committed, pause] = m as unknown as string[];
    const isolate: Isolate = isolates.get(id!) ?? { maxHeapMiB: 0, from: Number(at), to: 0, byKind: new Map(), long: [] };
    isolates.set(id!, isolate);
    isolate.maxHeapMiB = Math.max(isolate.maxHeapMiB, Number(committed));
    isolate.to = Number(at);
    const ms = Number(pause);
    const k = isolate.byKind.get(kind!) ?? { count: 0, ms: 0, max: 0 };
    isolate.byKind.set(kind!, { count: k.count + 1, ms: k.ms + ms, max: Math.max(k.max, ms) });
    if (ms >= longMs) isolate.long.push(ms);
  }
  const kinds = ['Scavenge', 'Mark-Compact'];
  const sum = (isolate: Isolate, kind: string) =>
    [...isolate.byKind].filter(([k]) => k.startsWith(kind)).reduce((a, [, k]) => ({ count: a.count + k.count, ms: a.ms + k.ms, max: Math.max(a.max, k.max) }), { count: 0, ms: 0, max: 0 });
  console.log(`| isolate | largest heap MiB | seconds traced | ${kinds.map((k) => `${k}: count, total ms, longest ms`).join(' | ')} | pauses ≥ ${longMs} ms: count, total ms |`);
  console.log(`| --- | --- | --- | ${kinds.map(() => '---').join(' | ')} | --- |`);
  for (const [id, isolate] of [...isolates].sort((a, b) => b[1].maxHeapMiB - a[1].maxHeapMiB)) {
    const cells = kinds.map((kind) => {
      const k = sum(isolate, kind);
      return `${k.count}, ${k.ms.toFixed(0)}, ${k.max.toFixed(1)}`;
    });
    const long = `${isolate.long.length}, ${isolate.long.reduce((a, b) => a + b, 0).toFixed(0)}`;
    console.log(`| ${id} | ${isolate.maxHeapMiB.toFixed(0)} | ${((isolate.to - isolate.from) / 1000).toFixed(0)} | ${cells.join(' | ')} | ${long} |`);
  }
}

main();
