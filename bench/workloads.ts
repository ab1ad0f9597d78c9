/**
 * Deterministic, seeded module-linking workloads for the benchmarks, in
 * realistic shapes and three sizes of code. Each builds IR, so the same
 * program is available as a binary (`encode`) and, for the wide shape, as
 * text with an equivalent core-only text beside it.
 */

import { encode } from "../lib/binary/encode.ts";
import type { Alias, Export, Import, ModuleIR, Section } from "../lib/ir.ts";

const I32 = 0x7f;

/** Sizes of code a workload is scaled to. */
export const SIZES = { small: 16 * 1024, "1MB": 1024 * 1024, "10MB": 10 * 1024 * 1024 } as const;

/** A size name. */
export type SizeName = keyof typeof SIZES;

/** Whether the benchmarks run in quick mode (`MLINK_BENCH_QUICK=1`): small inputs only. */
export function quickMode(): boolean {
  return Deno.env.get("MLINK_BENCH_QUICK") === "1";
}

/** The sizes to run: all, or only `small` in quick mode. */
export function sizesToRun(): SizeName[] {
  return quickMode() ? ["small"] : ["small", "1MB", "10MB"];
}

/** A small seeded PRNG (mulberry32), so workloads are the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` as signed LEB128 bytes. */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** `n` as unsigned LEB128 bytes. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/**
 * A `(func (param i32) (result i32))` body of about `bytes` bytes: a chain
 * of adds and xors on the parameter with seeded constants, then `extra`
 * instructions (e.g. a call) before `end`.
 */
function body(bytes: number, random: () => number, extra: number[] = []): number[] {
  const out: number[] = [0, 0x20, 0]; // no locals; local.get 0
  while (out.length < bytes) {
    out.push(0x41, ...sleb((random() * 2 ** 20) | 0), random() < 0.5 ? 0x6a : 0x73);
  }
  out.push(...extra, 0x0b);
  return out;
}

function codeSection(bodies: number[][]): Section {
  const out: number[] = [...uleb(bodies.length)];
  for (const b of bodies) out.push(...uleb(b.length), ...b);
  return { id: 10, data: new Uint8Array(out) };
}

/** A core module with `count` functions of ~`bytesEach` bytes each, exported as f0, f1, … */
function worker(count: number, bytesEach: number, random: () => number): ModuleIR {
  const exports: Export[] = [];
  for (let i = 0; i < count; i++) exports.push({ name: `f${i}`, kind: 0, index: i });
  return {
    sections: [
      { id: 1, types: [{ form: "func", params: [I32], results: [I32] }] },
      { id: 3, funcs: new Array(count).fill(0) },
      { id: 7, exports },
      codeSection(Array.from({ length: count }, () => body(bytesEach, random))),
    ],
  };
}

/**
 * Wide fan-out: one parent defines `children` nested modules, instantiates
 * each, aliases each one's `f0`, and exports `run`, which calls them all.
 */
export function wide(children: number, codeBytes: number, seed = 1): ModuleIR {
  const random = prng(seed);
  const perChild = Math.max(1, Math.floor(codeBytes / children / 200));
  const bytesEach = Math.max(8, Math.floor(codeBytes / children / perChild));
  const mods = Array.from({ length: children }, () => worker(perChild, bytesEach, random));
  const calls: number[] = [0x20, 0]; // local.get 0, then f_i on the running value
  for (let i = 0; i < children; i++) calls.push(0x10, ...uleb(i));
  calls.push(0x0b);
  return {
    sections: [
      { id: 1, types: [{ form: "func", params: [I32], results: [I32] }] },
      { id: 14, modules: mods },
      {
        id: 15,
        instances: mods.map((_, i) => ({ form: "instantiate" as const, module: i, args: [] })),
      },
      {
        id: 16,
        aliases: mods.map((_, i) => ({ form: "instanceExport", instance: i, kind: 0, name: "f0" })),
      },
      { id: 3, funcs: [0] },
      { id: 7, exports: [{ name: "run", kind: 0, index: children }] },
      codeSection([[0, ...calls]]),
    ],
  };
}

/**
 * Deep nesting: a chain of `levels` modules, each nesting the next,
 * instantiating it, and exporting `f` that calls the inner `f` and adds.
 */
export function deep(levels: number, codeBytes: number, seed = 2): ModuleIR {
  const random = prng(seed);
  const bytesEach = Math.max(8, Math.floor(codeBytes / levels));
  let inner: ModuleIR = {
    sections: [
      { id: 1, types: [{ form: "func", params: [I32], results: [I32] }] },
      { id: 3, funcs: [0] },
      { id: 7, exports: [{ name: "f", kind: 0, index: 0 }] },
      codeSection([body(bytesEach, random)]),
    ],
  };
  for (let level = 1; level < levels; level++) {
    inner = {
      sections: [
        { id: 1, types: [{ form: "func", params: [I32], results: [I32] }] },
        { id: 14, modules: [inner] },
        { id: 15, instances: [{ form: "instantiate", module: 0, args: [] }] },
        { id: 16, aliases: [{ form: "instanceExport", instance: 0, kind: 0, name: "f" }] },
        { id: 3, funcs: [0] },
        { id: 7, exports: [{ name: "f", kind: 0, index: 1 }] },
        codeSection([body(bytesEach, random, [0x10, 0])]),
      ],
    };
  }
  return inner;
}

/**
 * A chain through imports: one parent instantiates a leaf module, then
 * `links - 1` instances of a module that imports a function `f` and exports
 * an `f` calling it, each given the previous instance's `f`; `run` calls the
 * last. `links + 1` instances in all, one level of nesting.
 */
export function chain(links: number, codeBytes: number, seed = 5): ModuleIR {
  const random = prng(seed);
  const bytesEach = Math.max(8, Math.floor(codeBytes / links));
  const funcType: Section = { id: 1, types: [{ form: "func", params: [I32], results: [I32] }] };
  const leaf: ModuleIR = {
    sections: [
      funcType,
      { id: 3, funcs: [0] },
      { id: 7, exports: [{ name: "f", kind: 0, index: 0 }] },
      codeSection([body(bytesEach, random)]),
    ],
  };
  const link: ModuleIR = {
    sections: [
      funcType,
      { id: 2, imports: [{ module: "f", field: null, desc: { kind: 0, type: 0 } }] },
      { id: 3, funcs: [0] },
      { id: 7, exports: [{ name: "f", kind: 0, index: 1 }] },
      codeSection([body(bytesEach, random, [0x10, 0])]),
    ],
  };
  const sections: Section[] = [
    funcType,
    { id: 14, modules: [leaf, link] },
    { id: 15, instances: [{ form: "instantiate", module: 0, args: [] }] },
    { id: 16, aliases: [{ form: "instanceExport", instance: 0, kind: 0, name: "f" }] },
  ];
  for (let i = 1; i < links; i++) {
    // Instance i is given function i - 1 (instance i - 1's "f"); its "f" becomes function i.
    sections.push(
      {
        id: 15,
        instances: [{
          form: "instantiate",
          module: 1,
          args: [{ name: "f", kind: 0, index: i - 1 }],
        }],
      },
      { id: 16, aliases: [{ form: "instanceExport", instance: i, kind: 0, name: "f" }] },
    );
  }
  sections.push(
    { id: 3, funcs: [0] },
    { id: 7, exports: [{ name: "run", kind: 0, index: links }] },
    codeSection([[0, 0x20, 0, 0x10, ...uleb(links - 1), 0x0b]]),
  );
  return { sections };
}

/**
 * Diamonds sharing memory: `count` times, a memory module is instantiated
 * and its memory passed to two writer modules, whose functions the parent
 * calls; `run` returns what they wrote.
 */
export function diamonds(count: number, seed = 3): ModuleIR {
  const random = prng(seed);
  const memModule: ModuleIR = {
    sections: [
      { id: 5, memories: [{ limits: { min: 1 }, shared: false, memory64: false }] },
      { id: 7, exports: [{ name: "mem", kind: 2, index: 0 }] },
    ],
  };
  const writer = (at: number): ModuleIR => ({
    sections: [
      { id: 1, types: [{ form: "func", params: [I32], results: [I32] }] },
      {
        id: 2,
        imports: [{
          module: "mem",
          field: null,
          desc: { kind: 2, type: { limits: { min: 1 }, shared: false, memory64: false } },
        }],
      },
      { id: 3, funcs: [0] },
      { id: 7, exports: [{ name: "w", kind: 0, index: 0 }] },
      // mem[at] = param; return mem[at] + const
      codeSection([[
        0,
        0x41,
        ...sleb(at),
        0x20,
        0,
        0x36,
        2,
        0,
        0x41,
        ...sleb(at),
        0x28,
        2,
        0,
        0x41,
        ...sleb((random() * 1000) | 0),
        0x6a,
        0x0b,
      ]]),
    ],
  });
  const sections: Section[] = [
    { id: 1, types: [{ form: "func", params: [I32], results: [I32] }] },
    { id: 14, modules: [memModule, writer(0), writer(4)] },
  ];
  for (let d = 0; d < count; d++) {
    // Instance 3d owns memory d; instances 3d+1 and 3d+2 both write to it.
    sections.push(
      { id: 15, instances: [{ form: "instantiate", module: 0, args: [] }] },
      { id: 16, aliases: [{ form: "instanceExport", instance: 3 * d, kind: 2, name: "mem" }] },
      {
        id: 15,
        instances: [
          { form: "instantiate", module: 1, args: [{ name: "mem", kind: 2, index: d }] },
          { form: "instantiate", module: 2, args: [{ name: "mem", kind: 2, index: d }] },
        ],
      },
    );
  }
  const calls: number[] = [0x20, 0];
  const writers: Alias[] = [];
  for (let d = 0; d < count; d++) {
    writers.push(
      { form: "instanceExport", instance: 3 * d + 1, kind: 0, name: "w" },
      { form: "instanceExport", instance: 3 * d + 2, kind: 0, name: "w" },
    );
    calls.push(0x10, ...uleb(2 * d), 0x10, ...uleb(2 * d + 1));
  }
  calls.push(0x0b);
  sections.push(
    { id: 16, aliases: writers },
    { id: 3, funcs: [0] },
    { id: 7, exports: [{ name: "run", kind: 0, index: 2 * count }] },
    codeSection([[0, ...calls]]),
  );
  return { sections };
}

/** Many two-level imports: a module importing `count` functions from "env", calling each once. */
export function manyImports(count: number): ModuleIR {
  const imports: Import[] = Array.from({ length: count }, (_, i) => ({
    module: "env",
    field: `f${i}`,
    desc: { kind: 0, type: 0 },
  }));
  const calls: number[] = [0x20, 0];
  for (let i = 0; i < count; i++) calls.push(0x10, ...uleb(i));
  calls.push(0x0b);
  return {
    sections: [
      { id: 1, types: [{ form: "func", params: [I32], results: [I32] }] },
      { id: 2, imports },
      { id: 3, funcs: [0] },
      { id: 7, exports: [{ name: "run", kind: 0, index: count }] },
      codeSection([[0, ...calls]]),
    ],
  };
}

/** The binary of a workload. */
export function binary(ir: ModuleIR): Uint8Array {
  return encode(ir);
}

/** Function bodies as text for the wide shape: `children` × `perChild` bodies totalling about `textBytes`. */
function textBodies(
  children: number,
  textBytes: number,
  seed: number,
  funcBytes: number,
): string[][] {
  const random = prng(seed);
  const perChild = Math.max(1, Math.floor(textBytes / children / funcBytes));
  const lines = Math.max(1, Math.floor(textBytes / children / perChild / 28));
  return Array.from({ length: children }, () =>
    Array.from({ length: perChild }, () => {
      let body = "    local.get 0\n";
      for (let l = 0; l < lines; l++) {
        body += `    i32.const ${(random() * 2 ** 20) | 0}\n    ${
          random() < 0.5 ? "i32.add" : "i32.xor"
        }\n`;
      }
      return body;
    }));
}

/**
 * The wide shape as module-linking text of about `textBytes`: `children`
 * nested modules of functions of about `funcBytes` of text each, each
 * module instantiated, their `f0` called from `run`.
 */
export function wideText(children: number, textBytes: number, funcBytes = 2000, seed = 4): string {
  const bodies = textBodies(children, textBytes, seed, funcBytes);
  let out = "(module $wide\n";
  bodies.forEach((funcs, c) => {
    out += `  (module $c${c}\n`;
    funcs.forEach((b, f) =>
      out += `   (func (export "f${f}") (param i32) (result i32)\n${b}   )\n`
    );
    out += "  )\n";
  });
  for (let c = 0; c < children; c++) out += `  (instance $i${c} (instantiate $c${c}))\n`;
  out += '  (func (export "run") (param i32) (result i32)\n    local.get 0\n';
  for (let c = 0; c < children; c++) out += `    call (func $i${c} "f0")\n`;
  return out + "  )\n)\n";
}

/** The functions of {@linkcode wideText} as one core module: what wabt alone parses. */
export function coreOnlyText(
  children: number,
  textBytes: number,
  funcBytes = 2000,
  seed = 4,
): string {
  const bodies = textBodies(children, textBytes, seed, funcBytes);
  let out = "(module\n";
  bodies.forEach((funcs, c) =>
    funcs.forEach((b, f) => out += `  (func $c${c}_f${f} (param i32) (result i32)\n${b}  )\n`)
  );
  out += '  (func (export "run") (param i32) (result i32)\n    local.get 0\n';
  for (let c = 0; c < children; c++) out += `    call $c${c}_f0\n`;
  return out + "  )\n)\n";
}
