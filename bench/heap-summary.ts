/**
 * What a batch of cached workflows keeps on a workflow thread's heap: reads two V8 heap snapshots
 * of the same thread (before and after the batch, as `m6-playbook.js` writes them with
 * FIREBREAK_BENCH_HEAP_DIR) and prints, per workflow of the batch, the growth of the whole heap and
 * of the kinds of object that grew most (V8's node type and name: a constructor, `(closure)`'s
 * function name, `(system)`, strings by type). Functions are also summed by the bundle module
 * their code comes from, read from webpack's module markers in the script, so a dependency that
 * every workflow instantiates again shows under its own name.
 *
 *   node dist/bench/heap-summary.js <before.heapsnapshot> <after.heapsnapshot> <workflows> [--top N]
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; location_fields?: string[] } };
  nodes: number[];
  strings: string[];
  locations?: number[];
}

interface Totals {
  bytes: number;
  /** Self size by `type name`. */
  byKind: Map<string, number>;
  /** Self size of closures and their contexts by script id and line, resolved to modules later. */
  closuresByLine: Map<string, number>;
}

const add = (map: Map<string, number>, key: string, bytes: number) => map.set(key, (map.get(key) ?? 0) + bytes);

function read(file: string): Totals {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  // A location names the node by its index in `nodes` (a multiple of the node width).
  const lineOf = new Map<number, string>();
  const locFields = snap.snapshot.meta.location_fields ?? [];
  if (snap.locations && locFields.length > 0) {
    const lw = locFields.length;
    const [objAt, scriptAt, lineAt] = ['object_index', 'script_id', 'line'].map((f) => locFields.indexOf(f));
    for (let i = 0; i < snap.locations.length; i += lw) lineOf.set(snap.locations[i + objAt!]!, `${snap.locations[i + scriptAt!]}:${snap.locations[i + lineAt!]}`);
  }
  const totals: Totals = { bytes: 0, byKind: new Map(), closuresByLine: new Map() };
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!]!;
    const size = snap.nodes[i + sizeAt]!;
    totals.bytes += size;
    const name = type === 'string' || type === 'concatenated string' || type === 'sliced string' || type === 'number' || type === 'bigint' ? '' : snap.strings[snap.nodes[i + nameAt]!]!.slice(0, 60);
    add(totals.byKind, `${type} ${name}`.trim(), size);
    const line = lineOf.get(i);
    if (type === 'closure' && line) add(totals.closuresByLine, line, size);
  }
  return totals;
}

/**
 * Webpack's development bundles mark each module with a comment line naming its path. Maps a
 * 0-based line of the bundle to the module whose code it is in, for the bundle given in
 * FIREBREAK_HEAP_BUNDLE (the workflow bundle the thread ran).
 */
function moduleOfLine(): (line: number) => string {
  const bundle = process.env.FIREBREAK_HEAP_BUNDLE;
  if (!bundle) return () => '(set FIREBREAK_HEAP_BUNDLE to name modules)';
  const starts: Array<[number, string]> = [];
  readFileSync(bundle, 'utf8')
    .split('\n')
    .forEach((text, line) => {
      const marker = /^\/\*\*\*\/ "(.+?)"/.exec(text);
      if (marker) starts.push([line, marker[1]!]);
    });
  return (line) => {
    let found = '(outside any module)';
    for (const [start, name] of starts) {
      if (start > line) break;
      found = name;
    }
    return found.replace(/^(\.\.?\/)*node_modules\//, '').replace(/\/(lib|esm|src|dist)\/.*$/, '');
  };
}

function main(): void {
  const [beforeFile, afterFile, workflowsArg] = process.argv.slice(2);
  const topAt = process.argv.indexOf('--top');
  const top = topAt > 0 ? Number(process.argv[topAt + 1]) : 25;
  const workflows = Number(workflowsArg);
  if (!beforeFile || !afterFile || !(workflows > 0)) {
    console.error('usage: heap-summary <before.heapsnapshot> <after.heapsnapshot> <workflows> [--top N]');
    process.exit(2);
  }
  const before = read(beforeFile);
  const after = read(afterFile);
  const kib = (bytes: number) => (bytes / 1024 / workflows).toFixed(1);
  console.log(`heap ${(before.bytes / 2 ** 20).toFixed(1)} → ${(after.bytes / 2 ** 20).toFixed(1)} MiB: ${kib(after.bytes - before.bytes)} KiB per workflow (${workflows})`);
  console.log('');
  console.log('| kind (V8 type and name) | KiB per workflow | share |');
  console.log('| --- | --- | --- |');
  const grown = after.bytes - before.bytes;
  const diff = [...after.byKind].map(([kind, bytes]) => [kind, bytes - (before.byKind.get(kind) ?? 0)] as const).sort((a, b) => b[1] - a[1]);
  for (const [kind, bytes] of diff.slice(0, top)) console.log(`| ${kind.replace(/\|/g, '\\|')} | ${kib(bytes)} | ${((100 * bytes) / grown).toFixed(1)} % |`);
  const module = moduleOfLine();
  const byModule = new Map<string, number>();
  for (const [where, bytes] of after.closuresByLine) add(byModule, module(Number(where.split(':')[1])), bytes - (before.closuresByLine.get(where) ?? 0));
  for (const [where, bytes] of before.closuresByLine) if (!after.closuresByLine.has(where)) add(byModule, module(Number(where.split(':')[1])), -bytes);
  console.log('');
  console.log('| closures by bundle module | KiB per workflow |');
  console.log('| --- | --- |');
  for (const [name, bytes] of [...byModule].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`| ${name} | ${kib(bytes)} |`);
}

main();
