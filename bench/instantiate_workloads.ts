/**
 * The instantiate workloads, shared by `instantiate.bench.ts` (Deno.bench
 * groups) and `instantiate_interleaved.ts` (the two sides alternated in one
 * process, for medians and spreads): each is mlink's `instantiateSync` of an
 * already compiled module, beside hand-written JS glue that creates the same
 * V8 instances from the same `WebAssembly.Module`s (the ones mlink compiled,
 * read from the module's blob), passing exported functions as imports.
 *
 * @module
 */

import { compileSync, instantiateSync, type Module } from "../mod.ts";
import { moduleParts } from "../lib/runtime/module.ts";
import type { CompiledModule } from "../lib/compiled.ts";
import type { ModuleIR } from "../lib/ir.ts";
import { binary, chain, deep, diamonds, wide } from "./workloads.ts";

type Fn = (x: number) => number;

/** One workload's two sides; each call instantiates the whole program once. */
export interface InstantiatePair {
  /** Hand-written glue: `new WebAssembly.Instance` for each core module, in mlink's order. */
  readonly glue: () => unknown;
  /** `instantiateSync` of the compiled module. */
  readonly mlink: () => unknown;
}

/** A compiled workload, with the `WebAssembly.Module` mlink compiled for each of its modules. */
function compiledOf(ir: ModuleIR) {
  // Unfused: these workloads measure separate instances against hand glue (fusion: fusion.bench.ts).
  const module = compileSync(binary(ir), { fuse: false });
  const { blob, index } = moduleParts(module);
  const core = (i: number): WebAssembly.Module => {
    const compiled = blob.cores[i];
    if (compiled === undefined) throw new Error(`core module ${i} is not compiled`);
    return compiled;
  };
  const modules: readonly CompiledModule[] = blob.compiled.modules;
  return { module, modules, core, root: index };
}

/**
 * The pair, once `run(3)` (the exported function named `exported`) gives
 * the same on both sides: a broken glue or hot path fails before timing.
 */
function checked(
  label: string,
  module: Module,
  exported: string,
  glue: () => Fn,
): InstantiatePair {
  const viaMlink = instantiateSync(module).exports[exported] as Fn;
  if (glue()(3) !== viaMlink(3)) throw new Error(`${label}: glue differs`);
  return { glue, mlink: () => instantiateSync(module) };
}

/** Wide fan-out: one parent instantiating `children` modules (`children + 1` instances). */
export function widePair(children: number, codeBytes: number): InstantiatePair {
  const { module, modules, core, root } = compiledOf(wide(children, codeBytes));
  const cores = modules[root].children.map(core);
  const parent = core(root);
  return checked("wide", module, "run", () => {
    const fs = new Array<unknown>(cores.length);
    for (let i = 0; i < cores.length; i++) {
      fs[i] = new WebAssembly.Instance(cores[i], { "": [] as never }).exports.f0;
    }
    return new WebAssembly.Instance(parent, { "": fs as never }).exports.run as Fn;
  });
}

/** Deep nesting: a chain of `levels` nested modules, each instantiating the next (`levels` instances). */
export function deepPair(levels: number, codeBytes: number): InstantiatePair {
  const { module, modules, core, root } = compiledOf(deep(levels, codeBytes));
  const nested: WebAssembly.Module[] = []; // outermost first
  for (let m = root;; m = modules[m].children[0]) {
    nested.push(core(m));
    if (modules[m].children.length === 0) break;
  }
  return checked("deep", module, "f", () => {
    let f = new WebAssembly.Instance(nested[nested.length - 1], { "": [] as never }).exports.f;
    for (let i = nested.length - 2; i >= 0; i--) {
      f = new WebAssembly.Instance(nested[i], { "": [f] as never }).exports.f;
    }
    return f as Fn;
  });
}

/**
 * A chain through imports: a leaf and `links - 1` instances each given the
 * previous one's function, in one parent (`links + 1` instances).
 */
export function chainPair(links: number, codeBytes: number): InstantiatePair {
  const { module, modules, core, root } = compiledOf(chain(links, codeBytes));
  const [leaf, link] = modules[root].children.map(core);
  const parent = core(root);
  return checked("chain", module, "run", () => {
    // The parent imports every link's function, in order, as mlink aliases them.
    const fs = new Array<unknown>(links);
    fs[0] = new WebAssembly.Instance(leaf, { "": [] as never }).exports.f;
    for (let i = 1; i < links; i++) {
      fs[i] = new WebAssembly.Instance(link, { "": [fs[i - 1]] as never }).exports.f;
    }
    return new WebAssembly.Instance(parent, { "": fs as never }).exports.run as Fn;
  });
}

/** Diamonds: `count` memories, each shared by two writer instances (`3 × count + 1` instances). */
export function diamondsPair(count: number): InstantiatePair {
  const { module, modules, core, root } = compiledOf(diamonds(count));
  const [memModule, left, right] = modules[root].children.map(core);
  const parent = core(root);
  return checked("diamonds", module, "run", () => {
    // The parent imports the aliased memories first, then the writers.
    const mems = [];
    const ws = [];
    for (let d = 0; d < count; d++) {
      const mem = new WebAssembly.Instance(memModule, {}).exports.mem;
      mems.push(mem);
      ws.push(new WebAssembly.Instance(left, { "": [mem] as never }).exports.w);
      ws.push(new WebAssembly.Instance(right, { "": [mem] as never }).exports.w);
    }
    return new WebAssembly.Instance(parent, { "": [...mems, ...ws] as never }).exports.run as Fn;
  });
}
