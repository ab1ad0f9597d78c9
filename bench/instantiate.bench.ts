/**
 * Group 1 — instantiate (module already compiled): mlink's `instantiateSync`
 * against hand-written JS glue that creates the same V8 instances from the
 * same precompiled `WebAssembly.Module`s: the physical limit on V8.
 * (`instantiate_interleaved.ts` measures the same pairs with the two sides
 * alternated in one process.)
 * Group 2 — cross-instance calls: a hot loop calling through an aliased
 * import, against the same core modules linked by hand.
 */

import { compileSync, type Instance, instantiateSync } from "../mod.ts";
import { moduleParts } from "../lib/runtime/module.ts";
import type { ModuleIR } from "../lib/ir.ts";
import { binary, manyImports } from "./workloads.ts";
import { chainPair, deepPair, diamondsPair, widePair } from "./instantiate_workloads.ts";

type Fn = (x: number) => number;

const exposedGc = (globalThis as { gc?: (options?: { type: string }) => void }).gc;
// A minor GC: a forced major one also throws away optimized JS code, which
// would charge mlink (JS) for a recompile that V8's own C++ never pays.
const collect = exposedGc && (() => exposedGc({ type: "minor" }));
if (collect === undefined) {
  console.warn(
    "run with --v8-flags=--expose-gc (deno task bench does) for fair instantiate numbers",
  );
}
const BATCH = 10;

/**
 * A group of two benchmarks, each timing `BATCH` calls. A minor GC runs
 * before the timed region, so neither side pays for the garbage the other
 * left behind; the collections its own calls cause are timed.
 */
function paired(
  group: string,
  baseline: [string, () => unknown],
  measured: [string, () => unknown],
) {
  for (const [[name, fn], isBaseline] of [[baseline, true], [measured, false]] as const) {
    Deno.bench({
      name: `${name} (×${BATCH})`,
      group,
      baseline: isBaseline,
      fn(b) {
        collect?.();
        b.start();
        for (let i = 0; i < BATCH; i++) fn();
        b.end();
      },
    });
  }
}

function coresOf(ir: ModuleIR) {
  // Unfused, as the hand glue beside it: fusion.bench.ts measures fused modules.
  const module = compileSync(binary(ir), { fuse: false });
  const { blob, index } = moduleParts(module);
  const compiled = blob.compiled;
  const core = (i: number) => blob.cores[i]!;
  return { module, compiled, core, root: index };
}

// --- wide, deep, chain, diamonds: glue is in instantiate_workloads.ts --------
{
  const { glue, mlink } = widePair(500, 16 * 1024);
  paired("instantiate wide", ["glue: wide fan-out (500 children)", glue], [
    "mlink: wide fan-out (500 children)",
    mlink,
  ]);
}
{
  const { glue, mlink } = deepPair(50, 16 * 1024);
  paired("instantiate deep", ["glue: deep nesting (50 levels)", glue], [
    "mlink: deep nesting (50 levels)",
    mlink,
  ]);
}
{
  const { glue, mlink } = chainPair(50, 16 * 1024);
  paired("instantiate chain", ["glue: chain through imports (51 instances)", glue], [
    "mlink: chain through imports (51 instances)",
    mlink,
  ]);
}
{
  const { glue, mlink } = diamondsPair(50);
  paired("instantiate diamonds", ["glue: 50 diamonds sharing memories", glue], [
    "mlink: 50 diamonds sharing memories",
    mlink,
  ]);
}

// --- many two-level host imports --------------------------------------------
{
  const count = 200;
  const bytes = binary(manyImports(count));
  const env: Record<string, Fn> = {};
  for (let i = 0; i < count; i++) env[`f${i}`] = (x) => x + 1;
  const plain = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  const module = compileSync(bytes);
  paired("instantiate imports", [
    "V8: 200 two-level imports (JS API)",
    () => new WebAssembly.Instance(plain, { env }),
  ], ["mlink: 200 two-level imports", () => instantiateSync(module, { env })]);
}

// --- group 2: cross-instance calls ------------------------------------------
{
  // child: (func (export "inc") (param i32) (result i32) local.get 0 i32.const 1 i32.add)
  // parent: instantiates it, aliases "inc", and exports loop(n) calling it n times.
  const types = [{ form: "func" as const, params: [0x7f], results: [0x7f] }];
  const child: ModuleIR = {
    sections: [
      { id: 1, types },
      { id: 3, funcs: [0] },
      { id: 7, exports: [{ name: "inc", kind: 0, index: 0 }] },
      { id: 10, data: new Uint8Array([1, 7, 0, 0x20, 0, 0x41, 1, 0x6a, 0x0b]) },
    ],
  };
  const loopBody = [
    ...[1, 1, 0x7f], // one i32 local: the accumulator
    ...[0x02, 0x40, 0x03, 0x40], // block loop
    ...[0x20, 0, 0x45, 0x0d, 1], // if n == 0 break
    ...[0x20, 1, 0x10, 0, 0x21, 1], // acc = inc(acc)
    ...[0x20, 0, 0x41, 1, 0x6b, 0x21, 0], // n -= 1
    ...[0x0c, 0, 0x0b, 0x0b], // continue; end end
    ...[0x20, 1, 0x0b],
  ];
  const parent: ModuleIR = {
    sections: [
      { id: 1, types },
      { id: 14, modules: [child] },
      { id: 15, instances: [{ form: "instantiate", module: 0, args: [] }] },
      { id: 16, aliases: [{ form: "instanceExport", instance: 0, kind: 0, name: "inc" }] },
      { id: 3, funcs: [0] },
      { id: 7, exports: [{ name: "loop", kind: 0, index: 1 }] },
      { id: 10, data: new Uint8Array([1, loopBody.length, ...loopBody]) },
    ],
  };
  const { module, compiled, core, root } = coresOf(parent);
  const childCore = core(compiled.modules[root].children[0]);
  const inc = new WebAssembly.Instance(childCore, { "": [] as never }).exports.inc;
  const handLinked = new WebAssembly.Instance(core(root), { "": [inc] as never }).exports
    .loop as Fn;
  const viaMlink = (instantiateSync(module) as Instance).exports.loop as Fn;
  const n = 1_000_000;
  if (handLinked(n) !== n || viaMlink(n) !== n) throw new Error("calls: wrong result");
  Deno.bench({
    name: "V8 hand-linked: 1M calls through an import",
    group: "cross-instance calls",
    baseline: true,
    fn: () => void handLinked(n),
  });
  Deno.bench({
    name: "mlink aliased import: 1M calls",
    group: "cross-instance calls",
    fn: () => void viaMlink(n),
  });
}
