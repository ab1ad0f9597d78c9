/**
 * The fused-compilation workloads, shared by `fusion.bench.ts` (Deno.bench
 * groups) and `fusion_interleaved.ts` (the sides alternated in one
 * process, for medians and spreads). Each has three sides:
 *
 * - **glue**: hand-written JS creating the V8 instances of the unfused
 *   split from the same `WebAssembly.Module`s (the ones mlink compiled,
 *   read from the unfused module's blob), passing exported functions as
 *   imports — what the separate instances cost on V8 at best;
 * - **unfused**: mlink, compiled with `fuse: false`;
 * - **fused**: mlink, compiled by default (the whole graph as one core
 *   module; every workload here checks that it did fuse).
 *
 * The K-copies workload (a module instantiated K times) has no glue: it
 * compares the unfused cold start against a fusion forced past the default
 * `copies: 1` limit, to measure what copying code costs.
 *
 * @module
 */

import { compileSync, instantiateSync, Module } from "../mod.ts";
import { moduleParts } from "../lib/runtime/module.ts";
import { readArtifact } from "../lib/artifact/read.ts";
import { writeArtifact } from "../lib/artifact/write.ts";
import { compileBinary } from "../lib/compile/mod.ts";
import { fuseModule } from "../lib/fuse/fuse.ts";
import type { CompiledBlob, CompiledModule, FusedModule } from "../lib/compiled.ts";
import type { ModuleIR, Section } from "../lib/ir.ts";
import { binary, prng, sleb, uleb } from "./workloads.ts";
import { nonceOffsets, withNonceSection, writeArtifactNonce, writeNonce } from "./nonce.ts";

type Fn = (x: number) => number;

const I32 = 0x7f;
const FUNC_TYPE: Section = { id: 1, types: [{ form: "func", params: [I32], results: [I32] }] };

/** Instances in the chain of workloads a, b, d and e: 51, as in `instantiate_interleaved.ts`. */
export const LEVELS = 51;
/** Code in the chain of workloads a, d and e: 16 KB, as in the instantiate benches. */
export const CHAIN_CODE = 16 * 1024;
/** Iterations of the wasm loops of workloads b and c. */
export const LOOP_CALLS = 10_000;

function codeSection(bodies: number[][]): Section {
  const out: number[] = [...uleb(bodies.length)];
  for (const b of bodies) out.push(...uleb(b.length), ...b);
  return { id: 10, data: new Uint8Array(out) };
}

/** `bytes` of seeded `i32.const c; i32.add|i32.xor` pairs on the value on the stack. */
function padding(bytes: number, random: () => number): number[] {
  const out: number[] = [];
  while (out.length < bytes) {
    out.push(0x41, ...sleb((random() * 2 ** 20) | 0), random() < 0.5 ? 0x6a : 0x73);
  }
  return out;
}

/** `loop(n)`: `acc = 0; n times: acc = f(acc); acc`, `f` being function `callee`. */
function loopBody(callee: number): number[] {
  return [
    ...[1, 1, I32], // one i32 local: the accumulator
    ...[0x02, 0x40, 0x03, 0x40], // block loop
    ...[0x20, 0, 0x45, 0x0d, 1], // if n == 0 break
    ...[0x20, 1, 0x10, ...uleb(callee), 0x21, 1], // acc = f(acc)
    ...[0x20, 0, 0x41, 1, 0x6b, 0x21, 0], // n -= 1
    ...[0x0c, 0, 0x0b, 0x0b], // continue; end end
    ...[0x20, 1, 0x0b],
  ];
}

/** Options of {@linkcode nestedChain}. */
export interface ChainOptions {
  /** Bytes of code in all (seeded adds and xors before each call): 0 for bare calls. */
  readonly codeBytes?: number;
  /** Whether each instance defines its own 1-page memory with a data segment, and reads it. */
  readonly memories?: boolean;
  /** Whether the outermost module also exports `loop(n)`, calling its `f` n times. */
  readonly loop?: boolean;
  readonly seed?: number;
}

/**
 * A chain of `levels` distinct nested modules, each nesting the next,
 * instantiating it once and exporting `f(x)`: its padding on `x`, then
 * the inner `f`, then (with `memories`) plus the i32 its data segment put
 * at address 0 of its own memory, then plus 1. Every module is
 * instantiated once, so the whole graph fuses by default; without padding
 * and memories, `f(x) = x + levels`.
 */
export function nestedChain(levels: number, options: ChainOptions = {}): ModuleIR {
  const { codeBytes = 0, memories = false, loop = false, seed = 6 } = options;
  const random = prng(seed);
  const bytesEach = Math.floor(codeBytes / levels);
  let inner: ModuleIR | undefined;
  for (let level = 0; level < levels; level++) {
    const outermost = level === levels - 1;
    const nested = inner !== undefined;
    const self = nested ? 1 : 0; // its own f, after the aliased inner one
    const f = [0, 0x20, 0, ...padding(bytesEach, random)];
    if (nested) f.push(0x10, 0);
    if (memories) f.push(0x41, 0, 0x28, 2, 0, 0x6a); // + i32.load(0)
    f.push(0x41, 1, 0x6a, 0x0b); // + 1
    const bodies = [f];
    const exports = [{ name: "f", kind: 0 as const, index: self }];
    if (outermost && loop) {
      bodies.push(loopBody(self));
      exports.push({ name: "loop", kind: 0, index: self + 1 });
    }
    const sections: Section[] = [FUNC_TYPE];
    if (nested) {
      sections.push(
        { id: 14, modules: [inner!] },
        { id: 15, instances: [{ form: "instantiate", module: 0, args: [] }] },
        { id: 16, aliases: [{ form: "instanceExport", instance: 0, kind: 0, name: "f" }] },
      );
    }
    sections.push({ id: 3, funcs: bodies.map(() => 0) });
    if (memories) {
      sections.push({ id: 5, memories: [{ limits: { min: 1 }, shared: false, memory64: false }] });
    }
    sections.push({ id: 7, exports }, codeSection(bodies));
    if (memories) {
      // One active segment at 0: the i32 `level % 7 + 1`, then 60 bytes of noise.
      const bytes = [level % 7 + 1, 0, 0, 0, ...Array.from({ length: 60 }, (_, i) => i)];
      sections.push({
        id: 11,
        data: new Uint8Array([1, 0, 0x41, 0, 0x0b, ...uleb(bytes.length), ...bytes]),
      });
    }
    inner = { sections };
  }
  return inner!;
}

/**
 * A parent instantiating a child once and exporting `loop(n)`, which calls
 * the child's `inc(x) = x + 1` n times through an aliased import: the
 * cross-instance calls of `instantiate.bench.ts`.
 */
export function crossCall(): ModuleIR {
  const child: ModuleIR = {
    sections: [
      FUNC_TYPE,
      { id: 3, funcs: [0] },
      { id: 7, exports: [{ name: "inc", kind: 0, index: 0 }] },
      codeSection([[0, 0x20, 0, 0x41, 1, 0x6a, 0x0b]]),
    ],
  };
  return {
    sections: [
      FUNC_TYPE,
      { id: 14, modules: [child] },
      { id: 15, instances: [{ form: "instantiate", module: 0, args: [] }] },
      { id: 16, aliases: [{ form: "instanceExport", instance: 0, kind: 0, name: "inc" }] },
      { id: 3, funcs: [0] },
      { id: 7, exports: [{ name: "loop", kind: 0, index: 1 }] },
      codeSection([loopBody(0)]),
    ],
  };
}

/**
 * A module instantiated `copies` times by a root that imports nothing:
 * the child's `f(x)` is `codeBytes` of seeded adds and xors then plus
 * `nonce`, and `run(x)` passes `x` through every copy's `f`, then xors
 * `nonce`. A new nonce gives new core bytes (defeating V8's in-process
 * cache of compiled modules) for the same shape.
 */
export function copiesOf(copies: number, codeBytes: number, nonce = 0, seed = 7): ModuleIR {
  const random = prng(seed);
  const child: ModuleIR = {
    sections: [
      FUNC_TYPE,
      { id: 3, funcs: [0] },
      { id: 7, exports: [{ name: "f", kind: 0, index: 0 }] },
      codeSection([[
        0,
        0x20,
        0,
        ...padding(codeBytes, random),
        0x41,
        ...sleb(nonce | 0),
        0x6a,
        0x0b,
      ]]),
    ],
  };
  const run: number[] = [0, 0x20, 0];
  for (let i = 0; i < copies; i++) run.push(0x10, ...uleb(i));
  run.push(0x41, ...sleb(nonce | 0), 0x73, 0x0b);
  return {
    sections: [
      FUNC_TYPE,
      { id: 14, modules: [child] },
      {
        id: 15,
        instances: Array.from({ length: copies }, () => ({
          form: "instantiate" as const,
          module: 0,
          args: [],
        })),
      },
      {
        id: 16,
        aliases: Array.from({ length: copies }, (_, i) => ({
          form: "instanceExport" as const,
          instance: i,
          kind: 0 as const,
          name: "f",
        })),
      },
      { id: 3, funcs: [0] },
      { id: 7, exports: [{ name: "run", kind: 0, index: copies }] },
      codeSection([run]),
    ],
  };
}

/** The three sides of a workload; each call runs it once. */
export interface Trio<T = unknown> {
  readonly glue: T;
  readonly unfused: T;
  readonly fused: T;
}

/**
 * A workload's sides, and its floor where it has one: what the fused side
 * does with mlink left out (the fused core on plain V8), or, for calls,
 * the loop with the callee inlined by hand.
 */
export interface Sides<T = unknown> extends Trio<T> {
  readonly floor?: T;
}

/** The names of the sides, in the order reports give them. */
export const SIDES = ["glue", "unfused", "fused"] as const;

/** One side of a cold start: `prepare` (untimed) makes the next `run` compile afresh. */
export interface ColdSide {
  prepare(): void;
  run(): unknown;
}

/** `ir` compiled both ways; a `fuse: true` compile that did not fuse is an error. */
function compiledBoth(ir: ModuleIR): { unfused: Module; fused: Module } {
  const bytes = binary(ir);
  const fused = compileSync(bytes);
  const fusion = fused.fusion();
  if (!fusion.fused) throw new Error(`the workload did not fuse: ${fusion.reason}`);
  return { unfused: compileSync(bytes, { fuse: false }), fused };
}

/**
 * Hand-written glue for a chain of nested modules (each instantiating the
 * next once, given nothing): the innermost first, each given the inner
 * instance's exports as its imports, in the order mlink's split imports
 * them. `cores` is outermost first.
 */
function chainGlue(cores: readonly WebAssembly.Module[]): () => WebAssembly.Exports {
  const last = cores.length - 1;
  return () => {
    let exports = new WebAssembly.Instance(cores[last], { "": [] as never }).exports;
    for (let i = last - 1; i >= 0; i--) {
      exports = new WebAssembly.Instance(cores[i], { "": [exports.f] as never }).exports;
    }
    return exports;
  };
}

/** The `WebAssembly.Module` of `module`'s fused form. */
function fusedCore(module: Module): WebAssembly.Module {
  const { blob, index } = moduleParts(module);
  const core = blob.fusedCores[index];
  if (core === undefined) throw new Error("the fused core is not compiled");
  return core;
}

/** The core modules of a chain of nested modules, outermost first. */
function chainCores(module: Module): WebAssembly.Module[] {
  return chainCoresFrom(module, moduleParts(module).index);
}

/** The core modules of the chain that starts at module `index` of `module`'s blob, outermost first. */
function chainCoresFrom(module: Module, index: number): WebAssembly.Module[] {
  const { blob } = moduleParts(module);
  const modules = blob.compiled.modules;
  const cores: WebAssembly.Module[] = [];
  for (let m = index;; m = modules[m].children[0]) {
    const core = blob.cores[m];
    if (core === undefined) throw new Error(`core module ${m} is not compiled`);
    cores.push(core);
    if (modules[m].children.length === 0) return cores;
  }
}

/** Throws unless every side gives the same. */
function same(label: string, results: Trio<number>): void {
  if (results.glue !== results.unfused || results.fused !== results.unfused) {
    throw new Error(`${label}: the sides differ: ${JSON.stringify(results)}`);
  }
}

/**
 * Instantiating a chain of nested modules (a and e): each side
 * instantiates the whole graph once per call (mlink's `instantiateSync`
 * of an already compiled module).
 */
export function instantiateChain(label: string, ir: ModuleIR): Sides<() => unknown> {
  const { unfused, fused } = compiledBoth(ir);
  const glue = chainGlue(chainCores(unfused));
  const core = fusedCore(fused);
  const floor = () => new WebAssembly.Instance(core, {}).exports;
  const f = (e: WebAssembly.Exports | Record<string, unknown>) => (e.f as Fn)(3);
  same(label, {
    glue: f(glue()),
    unfused: f(instantiateSync(unfused).exports),
    fused: f(instantiateSync(fused).exports),
  });
  if (f(floor()) !== f(glue())) throw new Error(`${label}: the fused core on V8 differs`);
  return {
    glue,
    unfused: () => instantiateSync(unfused),
    fused: () => instantiateSync(fused),
    floor,
  };
}

/** Calls (b, c): one call of the instance's `loop(calls)` per call, instances made once. */
export function loopCalls(
  label: string,
  ir: ModuleIR,
  calls: number,
  glueOf: (unfused: Module) => () => WebAssembly.Exports,
): Trio<() => unknown> {
  const { unfused, fused } = compiledBoth(ir);
  const loops: Trio<Fn> = {
    glue: glueOf(unfused)().loop as Fn,
    unfused: instantiateSync(unfused).exports.loop as Fn,
    fused: instantiateSync(fused).exports.loop as Fn,
  };
  same(label, {
    glue: loops.glue(calls),
    unfused: loops.unfused(calls),
    fused: loops.fused(calls),
  });
  return {
    glue: () => loops.glue(calls),
    unfused: () => loops.unfused(calls),
    fused: () => loops.fused(calls),
  };
}

/** (b) `loop(n)` of a 51-deep chain of bare calls, each adding 1. */
export function chainCalls(calls = LOOP_CALLS): Trio<() => unknown> {
  return loopCalls(
    `calls through ${LEVELS} levels`,
    nestedChain(LEVELS, { loop: true }),
    calls,
    (unfused) => chainGlue(chainCores(unfused)),
  );
}

/**
 * (c) A wasm loop calling a function of another instance `calls` times;
 * its floor is the same loop with `acc + 1` in place of the call, in one
 * core module on plain V8.
 */
export function crossCalls(calls = LOOP_CALLS): Sides<() => unknown> {
  const sides = loopCalls("one cross-instance call in a loop", crossCall(), calls, (unfused) => {
    const [parent, child] = chainCores(unfused);
    return () => {
      const inc = new WebAssembly.Instance(child, { "": [] as never }).exports.inc;
      return new WebAssembly.Instance(parent, { "": [inc] as never }).exports;
    };
  });
  const inlined: ModuleIR = {
    sections: [
      FUNC_TYPE,
      { id: 3, funcs: [0] },
      { id: 7, exports: [{ name: "loop", kind: 0, index: 0 }] },
      codeSection([[
        ...[1, 1, I32],
        ...[0x02, 0x40, 0x03, 0x40],
        ...[0x20, 0, 0x45, 0x0d, 1],
        ...[0x20, 1, 0x41, 1, 0x6a, 0x21, 1], // acc = acc + 1
        ...[0x20, 0, 0x41, 1, 0x6b, 0x21, 0],
        ...[0x0c, 0, 0x0b, 0x0b],
        ...[0x20, 1, 0x0b],
      ]]),
    ],
  };
  const core = new WebAssembly.Module(binary(inlined) as Uint8Array<ArrayBuffer>);
  const loop = new WebAssembly.Instance(core, {}).exports.loop as Fn;
  if (loop(calls) !== calls) throw new Error("the inlined loop is wrong");
  return { ...sides, floor: () => loop(calls) };
}

/** `artifact` with a nonce section in every core module, the fused ones too. */
function artifactWithNonces(artifact: Uint8Array): Uint8Array {
  const graph = readArtifact(artifact);
  const blobs = graph.blobs.map((blob): CompiledBlob => ({
    ...blob,
    modules: blob.modules.map((m): CompiledModule => {
      const fusion = m.fusion;
      return {
        ...m,
        core: m.core && withNonceSection(m.core),
        fusion: fusion === null || "reason" in fusion
          ? fusion
          : { ...fusion, core: withNonceSection(fusion.core) },
      };
    }),
  }));
  return writeArtifact({ ...graph, blobs });
}

/** A cold start from an artifact made from `module`, nonces rewritten by `prepare`. */
function fromArtifact(module: Module, nonce: () => number): ColdSide {
  const artifact = artifactWithNonces(module.serialize());
  const offsets = nonceOffsets(artifact);
  return {
    prepare: () => writeArtifactNonce(artifact, offsets, nonce()),
    run: () => (instantiateSync(Module.deserialize(artifact)).exports.f as Fn)(3),
  };
}

/**
 * (d) Cold start from an artifact: `Module.deserialize` + `instantiateSync`
 * + the first call of `f`, against glue compiling each core module of the
 * unfused split (`new WebAssembly.Module`, synchronous, as `deserialize`'s
 * first instantiation does), instantiating them and calling. Every core
 * module carries a nonce section, rewritten by `prepare` (see `nonce.ts`).
 */
export function coldStartChain(ir: ModuleIR): Sides<ColdSide> {
  const { unfused, fused } = compiledBoth(ir);
  let counter = 0;
  const nonce = () => ++counter;
  const { blob, index } = moduleParts(unfused);
  const modules = blob.compiled.modules;
  const coreBytes: Uint8Array[] = []; // outermost first
  for (let m = index;; m = modules[m].children[0]) {
    coreBytes.push(withNonceSection(modules[m].core!));
    if (modules[m].children.length === 0) break;
  }
  const coreNonces = coreBytes.map(nonceOffsets);
  const glue: ColdSide = {
    prepare: () => {
      const n = nonce();
      coreBytes.forEach((c, i) => writeNonce(c, coreNonces[i], n));
    },
    run: () => {
      const cores = coreBytes.map((c) => new WebAssembly.Module(c as Uint8Array<ArrayBuffer>));
      return (chainGlue(cores)().f as Fn)(3);
    },
  };
  const { blob: fusedBlob, index: root } = moduleParts(fused);
  const fusedBytes = withNonceSection(fusedBlob.fused[root]!.core);
  const fusedNonces = nonceOffsets(fusedBytes);
  const floor: ColdSide = {
    prepare: () => writeNonce(fusedBytes, fusedNonces, nonce()),
    run: () => {
      const core = new WebAssembly.Module(fusedBytes as Uint8Array<ArrayBuffer>);
      return (new WebAssembly.Instance(core, {}).exports.f as Fn)(3);
    },
  };
  const sides: Sides<ColdSide> = {
    glue,
    unfused: fromArtifact(unfused, nonce),
    fused: fromArtifact(fused, nonce),
    floor,
  };
  for (const side of SIDES) sides[side].prepare();
  same("cold start", {
    glue: sides.glue.run() as number,
    unfused: sides.unfused.run() as number,
    fused: sides.fused.run() as number,
  });
  floor.prepare();
  if (floor.run() !== sides.glue.run()) throw new Error("cold start: the fused core on V8 differs");
  return sides;
}

/** Limits past `copies: 1`, to measure what fusing copies would cost. */
export const COPIES_LIMITS = { instances: 2_000, coreBytes: 8 << 20, copies: 1_000 } as const;

/** The forced fusion of `bytes`' root module, with the blob it was made from. */
export function forcedFusion(bytes: Uint8Array): { blob: CompiledBlob; fusion: FusedModule } {
  const blob = compileBinary(bytes);
  const fusion = fuseModule(blob, blob.root, COPIES_LIMITS);
  if ("reason" in fusion) throw new Error(`the copies workload did not fuse: ${fusion.reason}`);
  return { blob, fusion };
}

/**
 * (f) A child module instantiated `copies` times, from its binary to the
 * first call of `run`: unfused (`compileSync(bytes, { fuse: false })` +
 * `instantiateSync`) against a fusion forced past the `copies` limit
 * (`compileBinary` + `fuseModule` + V8 compiling and instantiating the
 * fused core, which imports nothing). `prepare` makes new bytes (a new
 * nonce in the code), so V8 compiles afresh every time.
 */
export function copiesColdStart(
  copies: number,
  codeBytes: number,
): { unfused: ColdSide; fused: ColdSide } {
  let nonce = 0;
  let unfusedBytes = binary(copiesOf(copies, codeBytes, ++nonce));
  let fusedBytes = binary(copiesOf(copies, codeBytes, ++nonce));
  const unfused: ColdSide = {
    prepare: () => void (unfusedBytes = binary(copiesOf(copies, codeBytes, ++nonce))),
    run: () => (instantiateSync(compileSync(unfusedBytes, { fuse: false })).exports.run as Fn)(3),
  };
  const fused: ColdSide = {
    prepare: () => void (fusedBytes = binary(copiesOf(copies, codeBytes, ++nonce))),
    run: () => {
      const { fusion } = forcedFusion(fusedBytes);
      const core = new WebAssembly.Module(fusion.core as Uint8Array<ArrayBuffer>);
      return (new WebAssembly.Instance(core, {}).exports.run as Fn)(3);
    },
  };
  // Same bytes on both sides once, to check that they agree.
  fusedBytes = unfusedBytes;
  if (unfused.run() !== fused.run()) throw new Error(`${copies} copies: the sides differ`);
  return { unfused, fused };
}

/**
 * The artifact of `bytes` with its root fused past the `copies` limit: what
 * `serialize` would write if the limit allowed it (the split core modules
 * kept beside the fused one, as `compile` keeps them).
 */
export function forcedFusedArtifact(bytes: Uint8Array): Uint8Array {
  const { blob, fusion } = forcedFusion(bytes);
  const modules = blob.modules.slice();
  modules[blob.root] = { ...modules[blob.root], fusion };
  return writeArtifact({
    blobs: [{ ...blob, modules }],
    nodes: [{ blob: 0, module: blob.root, upvars: [] }],
    root: 0,
  });
}

/**
 * (f) The K-copies module loaded from its artifact, to the first call of
 * `run`: `Module.deserialize` + `instantiateSync` of the unfused artifact
 * and of the forced fused one. Nonce sections in every core module,
 * rewritten by `prepare`.
 */
export function copiesFromArtifact(
  copies: number,
  codeBytes: number,
): { unfused: ColdSide; fused: ColdSide } {
  const bytes = binary(copiesOf(copies, codeBytes));
  let counter = 0;
  const side = (artifact: Uint8Array): ColdSide => {
    artifact = artifactWithNonces(artifact);
    const offsets = nonceOffsets(artifact);
    return {
      prepare: () => writeArtifactNonce(artifact, offsets, ++counter),
      run: () => (instantiateSync(Module.deserialize(artifact)).exports.run as Fn)(3),
    };
  };
  const unfusedModule = compileSync(bytes, { fuse: false });
  const sides = {
    unfused: side(unfusedModule.serialize()),
    fused: side(forcedFusedArtifact(bytes)),
  };
  sides.unfused.prepare(), sides.fused.prepare();
  if (sides.unfused.run() !== sides.fused.run()) {
    throw new Error(`${copies} copies from artifacts: the sides differ`);
  }
  return sides;
}

/**
 * (f) Instantiating the K-copies module, already compiled: unfused
 * (`copies + 1` V8 instances) against the forced fusion (one).
 */
export function copiesInstantiate(
  copies: number,
  codeBytes: number,
): { unfused: () => unknown; fused: () => unknown } {
  const bytes = binary(copiesOf(copies, codeBytes));
  const unfused = compileSync(bytes, { fuse: false });
  const fused = Module.deserialize(forcedFusedArtifact(bytes));
  const run = (m: Module) => (instantiateSync(m).exports.run as Fn)(3);
  if (run(unfused) !== run(fused)) throw new Error(`${copies} copies: the sides differ`);
  if (!fused.fusion().fused) throw new Error(`${copies} copies: the forced fusion did not load`);
  return { unfused: () => instantiateSync(unfused), fused: () => instantiateSync(fused) };
}

/**
 * (g) Compiling the 51-chain from its binary, `compileSync` with and
 * without `fuse`: the fused compile does all the unfused one does (V8
 * compiles every split core module, to validate them), then fuses and
 * compiles the fused core. `prepare` makes new bytes (another seed for the
 * padding), so V8 compiles afresh every time.
 */
export function compileChain(options: ChainOptions = {}): { unfused: ColdSide; fused: ColdSide } {
  let seed = 1_000;
  const next = () => binary(nestedChain(LEVELS, { ...options, seed: ++seed }));
  let unfusedBytes = next();
  let fusedBytes = next();
  return {
    unfused: {
      prepare: () => void (unfusedBytes = next()),
      run: () => compileSync(unfusedBytes, { fuse: false }),
    },
    fused: {
      prepare: () => void (fusedBytes = next()),
      run: () => {
        const module = compileSync(fusedBytes);
        if (!module.fusion().fused) throw new Error("the chain did not fuse");
        return module;
      },
    },
  };
}

/**
 * (h) A mixed graph, as text: a root that instantiates a closed chain of
 * `levels` nested modules (`$app`, each level adding 1 to what the one
 * below gives) and then a module the host gives (`plugin`), which imports
 * the chain's `f`. The root's graph is not closed, so only `$app` fuses.
 */
export function mixedChainText(levels: number): string {
  let app = `(module $l1 (func (export "f") (param i32) (result i32)
    (i32.add (local.get 0) (i32.const 1))))`;
  for (let k = 2; k <= levels; k++) {
    app = `(module $l${k} ${app}
      (instance $i (instantiate $l${k - 1}))
      (alias $i "f" (func $inner))
      (func (export "f") (param i32) (result i32)
        (i32.add (call $inner (local.get 0)) (i32.const 1))))`;
  }
  return `(module
    (import "plugin" (module $plugin
      (import "app" (instance (export "f" (func (param i32) (result i32)))))
      (export "g" (func (param i32) (result i32)))))
    ${app.replace(`(module $l${levels}`, "(module $app")}
    (instance $a (instantiate $app))
    (instance $p (instantiate $plugin (import "app" (instance $a))))
    (export "g" (func $p "g")))`;
}

/** The plugin of {@linkcode mixedChainText}, a core module: `g(x) = app.f(x) * 2`. */
export const MIXED_PLUGIN: Uint8Array = binary({
  sections: [
    FUNC_TYPE,
    { id: 2, imports: [{ module: "app", field: "f", desc: { kind: 0, type: 0 } }] },
    { id: 3, funcs: [0] },
    { id: 7, exports: [{ name: "g", kind: 0, index: 1 }] },
    codeSection([[0, 0x20, 0, 0x10, 0, 0x41, 2, 0x6c, 0x0b]]), // app.f(local 0) * 2
  ],
});

/**
 * Instantiating the mixed graph (h): mlink unfused and fused (only `$app`
 * fuses), against glue that makes the chain's split core instances and
 * the plugin's, and a floor made of the fused `$app` core and the plugin's.
 */
export function instantiateMixed(bytes: Uint8Array): Sides<() => unknown> {
  const unfused = compileSync(bytes, { fuse: false });
  const fused = compileSync(bytes);
  const report = fused.fusion();
  if (report.fused || report.nested?.length !== 1) {
    throw new Error(`the mixed graph should fuse $app alone: ${JSON.stringify(report)}`);
  }
  const plugin = compileSync(MIXED_PLUGIN);
  const pluginCore = new WebAssembly.Module(MIXED_PLUGIN as Uint8Array<ArrayBuffer>);
  const { blob, index } = moduleParts(unfused);
  const app = blob.compiled.modules[index].children[0];
  const chain = chainGlue(chainCoresFrom(unfused, app));
  const glue = () => {
    const f = chain().f;
    return new WebAssembly.Instance(pluginCore, { app: { f } }).exports;
  };
  const fusedApp = moduleParts(fused).blob.fusedCores[app];
  if (fusedApp === undefined) throw new Error("the fused $app core is not compiled");
  const floor = () => {
    const f = new WebAssembly.Instance(fusedApp, {}).exports.f;
    return new WebAssembly.Instance(pluginCore, { app: { f } }).exports;
  };
  const imports = { plugin };
  const g = (e: WebAssembly.Exports | Record<string, unknown>) => (e.g as Fn)(3);
  same("h", {
    glue: g(glue()),
    unfused: g(instantiateSync(unfused, imports).exports),
    fused: g(instantiateSync(fused, imports).exports),
  });
  if (g(floor()) !== g(glue())) throw new Error("h: the floor differs");
  return {
    glue,
    unfused: () => instantiateSync(unfused, imports),
    fused: () => instantiateSync(fused, imports),
    floor,
  };
}

/**
 * (i) Fused steps, as text: a root that instantiates a module the host
 * gives (`plugin`, `p(x) = x * 2`), then `levels` sibling modules, each
 * instantiating nothing: the first adds 1 to `p`, each next adds 1 to the
 * one before. The root's graph is not closed, and no nested module holds
 * the siblings: they fuse as one step of the root's program.
 */
export function siblingsText(levels: number): string {
  const parts: string[] = [];
  for (let k = 1; k <= levels; k++) {
    parts.push(`(module $s${k} (import "in" (func $in (param i32) (result i32)))
      (func (export "f") (param i32) (result i32) (i32.add (call $in (local.get 0)) (i32.const 1))))`);
  }
  parts.push(`(instance $i0 (instantiate $plugin))`);
  for (let k = 1; k <= levels; k++) {
    const from = k === 1 ? `(func $i0 "p")` : `(func $i${k - 1} "f")`;
    parts.push(`(instance $i${k} (instantiate $s${k} (import "in" ${from})))`);
  }
  return `(module
    (import "plugin" (module $plugin (export "p" (func (param i32) (result i32)))))
    ${parts.join("\n    ")}
    (export "f" (func $i${levels} "f")))`;
}

/** The plugin of {@linkcode siblingsText}, a core module: `p(x) = x * 2`. */
export const SIBLINGS_PLUGIN: Uint8Array = binary({
  sections: [
    FUNC_TYPE,
    { id: 3, funcs: [0] },
    { id: 7, exports: [{ name: "p", kind: 0, index: 0 }] },
    codeSection([[0, 0x20, 0, 0x41, 2, 0x6c, 0x0b]]), // local 0 * 2
  ],
});

/**
 * Instantiating the siblings (i): mlink unfused and with its fused step,
 * against glue that makes the plugin's core instance and each sibling's
 * split core instance in turn, and a floor made of the plugin's core
 * instance and the step's fused core.
 */
export function instantiateSiblings(bytes: Uint8Array): Sides<() => unknown> {
  const unfused = compileSync(bytes, { fuse: false });
  const fused = compileSync(bytes);
  const report = fused.fusion();
  if (report.fused || report.steps?.length !== 1) {
    throw new Error(`the siblings should fuse as one step: ${JSON.stringify(report)}`);
  }
  const plugin = compileSync(SIBLINGS_PLUGIN);
  const pluginCore = new WebAssembly.Module(SIBLINGS_PLUGIN as Uint8Array<ArrayBuffer>);
  const { blob, index } = moduleParts(unfused);
  const cores = blob.compiled.modules[index].children.map((child) => {
    const core = blob.cores[child];
    if (core === undefined) throw new Error(`core module ${child} is not compiled`);
    return core;
  });
  const glue = () => {
    let f = new WebAssembly.Instance(pluginCore, {}).exports.p;
    for (const core of cores) f = new WebAssembly.Instance(core, { "": [f] as never }).exports.f;
    return { f };
  };
  const fusedParts = moduleParts(fused);
  const step = fusedParts.blob.steps[fusedParts.index]![0];
  const stepCore = new WebAssembly.Module(step.fused.core as Uint8Array<ArrayBuffer>);
  // The core export the last sibling's instance reads its `f` from.
  const last = step.fused.built[step.memberBuilt[step.memberBuilt.length - 1]];
  const coreName = last.exports.find((e) => e.name === "f")!.core;
  const floor = () => {
    const p = new WebAssembly.Instance(pluginCore, {}).exports.p;
    return { f: new WebAssembly.Instance(stepCore, { "": [p] as never }).exports[coreName] };
  };
  const imports = { plugin };
  const f = (e: Record<string, unknown>) => (e.f as Fn)(3);
  same("i", {
    glue: f(glue()),
    unfused: f(instantiateSync(unfused, imports).exports),
    fused: f(instantiateSync(fused, imports).exports),
  });
  if (f(floor()) !== f(glue())) throw new Error("i: the floor differs");
  return {
    glue,
    unfused: () => instantiateSync(unfused, imports),
    fused: () => instantiateSync(fused, imports),
    floor,
  };
}
