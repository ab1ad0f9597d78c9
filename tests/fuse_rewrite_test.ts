/**
 * The fusion rewriter (issue 10's first building block): the opcode table
 * against V8 both ways, every opcode's indices rewritten, identity maps
 * giving every module back byte for byte (the core conformance suite's
 * modules and real clang output), shifted maps giving modules that validate
 * and behave the same (the core suite's scripts run again on rewritten
 * modules, WASI programs run again), active segments made passive and
 * applied by a generated start function, the name section renumbered, and
 * mutated modules failing only with `CompileError`.
 */

import { assert, assertEquals, assertThrows } from "@std/assert";
import { ConsoleStdout, File, OpenFile, PreopenDirectory, WASI } from "@bjorn3/browser_wasi_shim";
import { prng } from "../bench/workloads.ts";
import { Reader } from "../lib/binary/reader.ts";
import { type Immediate, opcodes } from "../lib/compile/opcodes.ts";
import { CompileError } from "../lib/errors.ts";
import {
  type IndexMaps,
  readSections,
  rewriteModule,
  rewriteSections,
  segmentInitCode,
  writeSections,
} from "../lib/fuse/mod.ts";
import { SectionId } from "../lib/ir.ts";
import { parseWat } from "../lib/text/mod.ts";
import { readSExprs, type SExpr, type SList } from "../lib/text/sexpr.ts";
import { loadWabt, WABT_FEATURES } from "../lib/text/wabt.ts";
import { isTag } from "../lib/runtime/tag.ts";
import { runScript } from "../lib/wast/runner.ts";
import { addInitFunction, type Dummies, dummyImports, shiftModule } from "./helpers/core_module.ts";

// ---- helpers -------------------------------------------------------------

const wabt = await loadWabt();

/** Core module text to a binary, with a name section when `names` says so. */
function wat(text: string, names = false): Uint8Array {
  const m = wabt.parseWat("test.wat", text, WABT_FEATURES);
  try {
    m.resolveNames();
    return m.toBinary({ write_debug_names: names }).buffer;
  } finally {
    m.destroy();
  }
}

/** A core module back to text, names included. */
function text(bytes: Uint8Array): string {
  const m = wabt.readWasm(bytes, { readDebugNames: true, check: false, ...WABT_FEATURES });
  try {
    m.resolveNames();
    return m.toText({ foldExprs: false, inlineExport: false });
  } finally {
    m.destroy();
  }
}

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    const low = n % 128;
    n = Math.floor(n / 128);
    out.push(n === 0 ? low : low | 0x80);
  } while (n !== 0);
  return out;
}

function vec(items: number[][]): number[] {
  return [...leb(items.length), ...items.flat()];
}

function section(id: number, payload: number[]): number[] {
  return [id, ...leb(payload.length), ...payload];
}

/** Why V8 rejects `bytes`, or undefined when it validates them. */
function v8Error(bytes: Uint8Array): string | undefined {
  try {
    new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

function instantiate(bytes: Uint8Array, imports: WebAssembly.Imports = {}): WebAssembly.Instance {
  return new WebAssembly.Instance(
    new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>),
    imports,
  );
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Identity maps for every space, as functions: every index goes through the maps and stays. */
const IDENTITY: IndexMaps = {
  func: (i) => i,
  type: (i) => i,
  table: (i) => i,
  memory: (i) => i,
  global: (i) => i,
  tag: (i) => i,
  data: (i) => i,
  elem: (i) => i,
};

// ---- the opcode table against V8 -------------------------------------------

/**
 * A module in which one instruction can be tried: types 0 `(func)`, 1 and
 * 4 structs of an i32 and an i8, 2, 3 and 5 arrays of i32, funcref and i8;
 * function 0 with an i32 local and body `body`; a table; two shared
 * memories; a tag; a mutable global; a passive element and data segment.
 */
function harness(body: number[]): Uint8Array {
  const types = vec([
    [0x60, 0, 0],
    [0x5f, 1, 0x7f, 1],
    [0x5e, 0x7f, 1],
    [0x5e, 0x70, 1],
    [0x5f, 1, 0x78, 1],
    [0x5e, 0x78, 1],
  ]);
  const code = [1, 1, 0x7f, ...body, 0x0b];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    ...section(SectionId.Type, types),
    ...section(SectionId.Function, vec([[0]])),
    ...section(SectionId.Table, vec([[0x70, 0, 1]])),
    ...section(SectionId.Memory, vec([[3, 1, 1], [3, 1, 1]])),
    ...section(SectionId.Tag, vec([[0, 0]])),
    ...section(SectionId.Global, vec([[0x7f, 1, 0x41, 0, 0x0b]])),
    ...section(SectionId.Element, vec([[1, 0, 1, 0]])),
    ...section(SectionId.DataCount, [1]),
    ...section(SectionId.Code, vec([[...leb(code.length), ...code]])),
    ...section(SectionId.Data, vec([[1, 1, 0]])),
  ]);
}

/** Immediates V8 accepts for `what` in the harness (memories: memory 1, in the multi-memory form). */
function immediate(what: Immediate, prefix: number | undefined, code: number, align: number) {
  switch (what) {
    case "memory":
      return [1];
    case "type":
      if (prefix !== 0xfb) return [0];
      if (code <= 0x01 || code === 0x02 || code === 0x05) return [1];
      if (code === 0x03 || code === 0x04) return [4]; // packed fields
      if (code === 0x0c || code === 0x0d) return [5]; // packed elements
      if (code === 0x0a || code === 0x13) return [3]; // funcref elements
      return [2];
    case "func":
    case "table":
    case "global":
    case "tag":
    case "data":
    case "elem":
    case "local":
    case "label":
    case "u32":
    case "byte":
    case "i32":
    case "i64":
      return [0];
    case "f32":
      return [0, 0, 0, 0];
    case "f64":
      return new Array(8).fill(0);
    case "v128":
      return new Array(16).fill(0);
    case "blockType":
      return [0x40];
    case "brTable":
      return [0, 0];
    case "memArg":
      return [align | 0x40, 1, 0];
    case "valTypes":
      return [1, 0x7f];
    case "heapType":
      return [0x6e]; // any
    case "tryTable":
      return [0x40, 1, 0, 0, 0]; // (catch tag 0 label 0)
  }
}

/** Instructions that only make sense in their block: how each is tried. */
const STRUCTURED: Record<number, number[]> = {
  0x05: [0x04, 0x40, 0x05, 0x0b], // if else end
  0x07: [0x06, 0x40, 0x07, 0, 0x0b], // try catch 0 end
  0x09: [0x06, 0x40, 0x19, 0x09, 0, 0x0b], // try catch_all rethrow 0 end
  0x0b: [0x02, 0x40, 0x0b], // block end
  0x18: [0x06, 0x40, 0x18, 0], // try delegate 0
  0x19: [0x06, 0x40, 0x19, 0x0b], // try catch_all end
};

/**
 * Harness bodies for an opcode of the table: one per alignment for a
 * memarg (atomics need their natural one), else one. Each opcode runs
 * after `unreachable`, in a block (of anyref for the branches on casts and
 * non-null), its result dropped.
 */
function tries(prefix: number | undefined, code: number, immediates: readonly Immediate[]) {
  const op = prefix === undefined ? [code] : [prefix, ...leb(code)];
  const anyref = (prefix === undefined && code === 0xd6) ||
    (prefix === 0xfb && (code === 0x18 || code === 0x19));
  const opens = prefix === undefined && [0x02, 0x03, 0x04, 0x06, 0x1f].includes(code);
  const aligns = immediates.includes("memArg") ? [0, 1, 2, 3] : [0];
  return aligns.map((align) => {
    const inner = prefix === undefined && STRUCTURED[code] !== undefined ? STRUCTURED[code] : [
      ...op,
      ...immediates.flatMap((i) => immediate(i, prefix, code, align)),
      ...(opens ? [0x0b] : []),
      0x1a,
    ];
    return [0x02, anyref ? 0x6e : 0x40, 0x00, ...inner, 0x0b, ...(anyref ? [0x1a] : [])];
  });
}

const key = (prefix: number | undefined, code: number) =>
  prefix === undefined ? code.toString(16) : `${prefix.toString(16)} ${code.toString(16)}`;

/** The table's opcodes, each with a harness module V8 validates. */
const tableModules = (() => {
  const found: { key: string; bytes: Uint8Array; rejected?: string }[] = [];
  for (const e of opcodes()) {
    let rejected: string | undefined;
    let bytes: Uint8Array = new Uint8Array();
    for (const body of tries(e.prefix, e.code, e.immediates)) {
      bytes = harness(body);
      rejected = v8Error(bytes);
      if (rejected === undefined) break;
    }
    found.push({ key: key(e.prefix, e.code), bytes, rejected });
  }
  return found;
})();

Deno.test("every opcode of the table is accepted by V8, with the immediates the table says", () => {
  const rejected = tableModules.filter((m) => m.rejected !== undefined);
  assertEquals(rejected.map((m) => `${m.key}: ${m.rejected}`), []);
  // Single-byte 199, GC 31, misc 18, SIMD 256, atomics 67.
  assertEquals(tableModules.length, 571);
  console.log(`${tableModules.length} opcodes, each validated by V8`);
});

Deno.test("every opcode outside the table is rejected by V8 as unknown", () => {
  const known = new Set(tableModules.map((m) => m.key));
  const unexpected: string[] = [];
  let rejected = 0;
  const spaces: [number | undefined, number][] = [
    [undefined, 0x100],
    [0xfb, 0x200],
    [0xfc, 0x200],
    [0xfd, 0x200],
    [0xfe, 0x200],
  ];
  for (const [prefix, size] of spaces) {
    for (let code = 0; code < size; code++) {
      if (prefix === undefined && code >= 0xfb && code <= 0xfe) continue;
      if (known.has(key(prefix, code))) continue;
      const op = prefix === undefined ? [code] : [prefix, ...leb(code)];
      const message = v8Error(harness([0x00, ...op, ...new Array(20).fill(1)]));
      // 0xfb 0x20 and 0x21 (struct.new_desc) decode, but need a type (a
      // descriptor) that only a flag (custom descriptors) allows.
      if (message !== undefined && /opcode|descriptor/i.test(message)) rejected++;
      else unexpected.push(`${key(prefix, code)}: ${message}`);
      // The table says the same.
      assertThrows(
        () => rewriteModule(harness([0x00, ...op, 0x1a]), IDENTITY),
        CompileError,
        "unknown opcode",
      );
    }
  }
  assertEquals(unexpected, []);
  assert(rejected > 1700, `${rejected}`);
});

Deno.test("every opcode: its indices move, and the moved module still validates", () => {
  for (const { key, bytes } of tableModules) {
    assertEquals(rewriteModule(bytes, IDENTITY).bytes, bytes, key);
    // 70 of everything in front: type indices take two bytes as s33, the others as u32.
    const shifted = shiftModule(bytes, 70).bytes;
    assertEquals(v8Error(shifted), undefined, `${key} shifted`);
    // The two memories swapped: memory 1 takes the plain memarg, memory 0 the multi-memory one.
    const swapped = rewriteModule(bytes, { memory: [1, 0] }).bytes;
    assertEquals(v8Error(swapped), undefined, `${key} with memories swapped`);
  }
});

// ---- forms, one at a time --------------------------------------------------

Deno.test("memarg: memory 0 takes the plain form, any other the multi-memory form", () => {
  const bytes = wat(`(module
    (memory $a (export "a") 1) (memory $b (export "b") 1)
    (func (export "put") (param i32 i32)
      (i32.store $a (local.get 0) (local.get 1))
      (i32.store8 $b offset=1 (local.get 0) (i32.const 7)))
    (func (export "get") (param i32) (result i32)
      (i32.add (i32.load $a (local.get 0)) (i32.load8_u $b offset=1 (local.get 0)))))`);
  const { bytes: swapped } = rewriteModule(bytes, { memory: [1, 0] });
  // i32.store $a: align 2 and memory 1 now; i32.store8 $b: align 0, plain.
  const codeOf = (b: Uint8Array) => readSections(b).find((s) => s.id === SectionId.Code)!.payload;
  const code = [...codeOf(swapped)];
  assert(includes(code, [0x36, 0x42, 0x01, 0x00]), "i32.store, multi-memory form, memory 1");
  assert(includes(code, [0x3a, 0x00, 0x01]), "i32.store8, plain form");
  assertEquals(codeOf(swapped).length, codeOf(bytes).length, "one byte gained, one lost");
  for (const module of [bytes, swapped]) {
    const e = instantiate(module).exports as Record<string, CallableFunction>;
    e.put(8, 1000);
    assertEquals(e.get(8), 1007);
    assertEquals(e.get(0), 0);
    const a = new Uint8Array((e.a as unknown as WebAssembly.Memory).buffer);
    const b = new Uint8Array((e.b as unknown as WebAssembly.Memory).buffer);
    assertEquals([a[8], a[9], b[9]], [0xe8, 0x03, 7], "the exports still name the same memories");
  }
});

function includes(haystack: number[], needle: number[]): boolean {
  return includesAt(haystack, needle) >= 0;
}

function includesAt(haystack: number[], needle: number[]): number {
  return haystack.findIndex((_, i) => needle.every((b, j) => haystack[i + j] === b));
}

Deno.test("a body whose indices grow gets its new size", () => {
  // 25 calls with 1-byte indices: a body of 126 bytes that grows past 127 with 2-byte indices.
  const calls = Array.from({ length: 24 }, () => "(call $f (i32.const 1)) drop").join(" ");
  const bytes = wat(`(module
    (func $f (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
    (func (export "run") (result i32) ${calls} (call $f (i32.const 41))))`);
  /** The size of the second body. */
  const size = (b: Uint8Array) => {
    const r = new Reader(readSections(b).find((s) => s.id === SectionId.Code)!.payload);
    r.u32();
    r.skip(r.u32());
    return r.u32();
  };
  assertEquals(size(bytes), 126);
  const shifted = shiftModule(bytes, 200).bytes;
  assertEquals(size(shifted), 126 + 25, "a two-byte size");
  assertEquals((instantiate(shifted, dummyImports()).exports.run as () => number)(), 42);
});

Deno.test("block types: a type index grows from one byte of s33 to two", () => {
  const bytes = wat(`(module
    (type $pair (func (param i32) (result i32 i32)))
    (func (export "run") (param i32) (result i32)
      (local.get 0) (local.get 0)
      (block (type $pair) (param i32) (result i32 i32) (i32.const 10))
      i32.add i32.add))`);
  const shifted = shiftModule(bytes, 64);
  for (const b of [bytes, shifted.bytes]) {
    const run = instantiate(b, dummyImports()).exports.run as (x: number) => number;
    assertEquals(run(5), 20);
  }
  const block = [...readSections(shifted.bytes).find((s) => s.id === SectionId.Code)!.payload];
  assert(includes(block, [0x02, 0xc0, 0x00]), "block type 64 as a two-byte s33");
});

/** Tags, and a function that throws $a (7) for 0 and $b (x, 3) for any other x. */
const TAGS = `(tag $a (param i32)) (tag $b (param i32 i32)) (tag $e (export "e"))
  (func $throws (param i32)
    (if (i32.eqz (local.get 0)) (then (throw $a (i32.const 7))))
    (throw $b (local.get 0) (i32.const 3)))`;

/** V8 takes one exception proposal per module: the legacy one, or try_table's. */
const EXCEPTION_MODULES = {
  legacy: `(module ${TAGS}
    (func (export "run") (param i32) (result i32)
      (try (result i32)
        (do (call $throws (local.get 0)) (i32.const 0))
        (catch $a)
        (catch $b i32.add))))`,
  tryTable: `(module ${TAGS}
    (func (export "run") (param i32) (result i32)
      (block $on_b (result i32 i32)
        (block $on_a (result i32)
          (try_table (catch $a $on_a) (catch $b $on_b) (call $throws (local.get 0)))
          (return (i32.const -1)))
        (return))
      i32.mul))`,
};

Deno.test("exceptions: throw, catch, try_table's catch clauses and tags move", () => {
  for (const [name, source] of Object.entries(EXCEPTION_MODULES)) {
    const bytes = wat(source);
    const shifted = shiftModule(bytes, 2);
    const expected = name === "legacy" ? [7, 8] : [7, 15];
    for (const b of [bytes, shifted.bytes]) {
      const imports = dummyImports();
      const e = instantiate(b, imports).exports as Record<string, CallableFunction>;
      assertEquals([e.run(0), e.run(5)], expected, name);
      assert(isTag(e.e) && e.e !== (imports.dummy as Record<string, unknown>).e, "its own tag");
    }
  }
});

Deno.test("tables: call_indirect, table.copy, table.init, elem.drop and ref.func move", () => {
  const bytes = wat(`(module
    (type $un (func (param i32) (result i32)))
    (table $t0 2 funcref) (table $t1 (export "t1") 4 funcref)
    (func $inc (type $un) (i32.add (local.get 0) (i32.const 1)))
    (func $dbl (type $un) (i32.mul (local.get 0) (i32.const 2)))
    (elem $seg func $dbl $inc)
    (elem (table $t0) (i32.const 0) func $inc)
    (func (export "run") (param i32) (result i32)
      (table.init $t1 $seg (i32.const 2) (i32.const 0) (i32.const 2))
      (elem.drop $seg)
      (table.copy $t1 $t0 (i32.const 0) (i32.const 0) (i32.const 1))
      (table.set $t1 (i32.const 1) (ref.func $dbl))
      (i32.add
        (call_indirect $t1 (type $un) (local.get 0) (i32.const 0))
        (call_indirect $t1 (type $un) (local.get 0) (i32.const 2))))
    (func (export "tail") (param i32) (result i32)
      (return_call_indirect $t1 (type $un) (local.get 0) (i32.const 3)))
    (func (export "direct") (param i32) (result i32) (return_call $dbl (local.get 0))))`);
  const shifted = shiftModule(bytes, 3, { passive: true });
  for (const b of [bytes, shifted.bytes]) {
    const e = instantiate(b, dummyImports()).exports as Record<string, CallableFunction>;
    assertEquals([e.run(10), e.tail(10), e.direct(10)], [11 + 20, 11, 20]);
    const t1 = e.t1 as unknown as WebAssembly.Table;
    assertEquals([0, 1, 2, 3].map((i) => t1.get(i) === null), [false, false, false, false]);
  }
});

/**
 * Typed function references and GC types, by hand (wabt has neither): a
 * recursion group of a final function type 0 and a struct type 1 holding a
 * `(ref null 0)`, a table of `(ref 0)` with an initializer, a global and a
 * local of `(ref null 0)`, `call_ref`, `ref.null 0`, a block of type 0,
 * `struct.new` and `struct.get`. `run(x)` is `4x + 5`.
 */
function typedRefsModule(): Uint8Array {
  const types = [
    ...[2, 0x4e, 2, 0x4f, 0, 0x60, 1, 0x7f, 1, 0x7f], // (rec (sub final (func (param i32) (result i32)))
    ...[0x5f, 1, 0x63, 0, 0], //   (struct (field (ref null 0))))
    ...[0x60, 0, 0], // (func)
  ];
  const run = [
    ...[0x23, 0, 0x21, 1], // global.get 0, local.set 1
    ...[0x20, 0, 0x20, 1, 0x14, 0], // call_ref 0 (local.get 0) (local.get 1)
    ...[0x20, 0, 0x41, 0, 0x25, 0, 0x14, 0, 0x6a], // call_ref 0 (local.get 0) (table.get 0 (i32.const 0)), add
    ...[0x20, 0, 0x23, 0, 0xfb, 0, 1, 0xfb, 2, 1, 0, 0x14, 0, 0x6a], // through struct.new 1, struct.get 1 0
    ...[0x20, 0, 0x02, 0x00, 0x41, 1, 0x6a, 0x0b, 0x6a], // (block (type 0) (i32.const 1) add), add
    ...[0xd0, 0, 0xd1, 0x6a], // ref.null 0, ref.is_null, add
    0x0b,
  ];
  const runBody = [1, 1, 0x63, 0, ...run];
  const inc = [0, 0x20, 0, 0x41, 1, 0x6a, 0x0b];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    ...section(SectionId.Type, types),
    ...section(SectionId.Function, vec([[0], [0]])),
    ...section(SectionId.Table, vec([[0x40, 0, 0x64, 0, 0, 1, 0xd2, 0, 0x0b]])),
    ...section(SectionId.Global, vec([[0x63, 0, 0, 0xd2, 0, 0x0b]])),
    ...section(SectionId.Export, vec([[3, 0x72, 0x75, 0x6e, 0, 1]])),
    ...section(SectionId.Element, vec([[3, 0, 1, 0]])),
    ...section(SectionId.Code, vec([[inc.length, ...inc], [...leb(runBody.length), ...runBody]])),
  ]);
}

Deno.test("typed references and GC types: heap types, recursion groups, table initializers", () => {
  const bytes = typedRefsModule();
  assertEquals(rewriteModule(bytes, IDENTITY).bytes, bytes);
  for (const n of [0, 1, 100]) {
    const shifted = shiftModule(bytes, n).bytes;
    const run = instantiate(shifted, dummyImports()).exports.run as (x: number) => number;
    assertEquals(run(10), 45, `shifted by ${n}`);
  }
});

// ---- segments made passive -------------------------------------------------

/**
 * Every form of segment: elements 0, 2, 4 and 6 active (offsets from an
 * imported global too), 1 and 5 passive, 3 declarative; data 0 and 2 (to
 * memory 1) active, 1 passive. The data section is written by hand: wabt
 * drops the memory index of `(data (memory $m1) …)`.
 */
function segmentsModule(): Uint8Array {
  const sections = [...readSections(wat(`(module
    (import "env" "base" (global $base i32))
    (table $t0 (export "t0") 8 funcref) (table $t1 (export "t1") 8 funcref)
    (memory $m0 (export "m0") 1) (memory $m1 (export "m1") 1)
    (func $a (result i32) i32.const 1) (func $b (result i32) i32.const 2)
    (func $c (result i32) i32.const 3)
    (elem (i32.const 0) $a $b)
    (elem (table $t1) (global.get $base) func $c $a)
    (elem (i32.const 4) funcref (ref.func $c) (ref.null func))
    (elem (table $t1) (i32.const 6) funcref (ref.func $b))
    (elem $p func $a)
    (elem $q funcref (ref.func $b))
    (elem declare func $c)
    (func (export "f") (result funcref) (ref.func $c)))`))];
  const data = vec([
    [0, 0x41, 2, 0x0b, 2, 0x61, 0x62], // (data (i32.const 2) "ab")
    [2, 1, 0x23, 0, 0x0b, 2, 0x63, 0x64], // (data (memory 1) (global.get $base) "cd")
    [1, 2, 0x65, 0x66], // (data "ef")
    [2, 0, 0x41, 10, 0x0b, 2, 0x67, 0x68], // (data (memory 0) (i32.const 10) "gh")
  ]);
  sections.push({ id: SectionId.Data, payload: new Uint8Array(data), offset: -1 });
  return writeSections(sections);
}

/** What instantiation left in the exported tables and memories: each function's result, and bytes. */
function contents(bytes: Uint8Array, imports: WebAssembly.Imports) {
  const e = instantiate(bytes, { ...imports, env: { base: 3 } }).exports;
  const table = (t: WebAssembly.ExportValue) =>
    Array.from(
      { length: 8 },
      (_, i) => ((t as WebAssembly.Table).get(i) as (() => number) | null)?.(),
    );
  const memory = (
    m: WebAssembly.ExportValue,
  ) => [...new Uint8Array((m as WebAssembly.Memory).buffer, 0, 16)];
  return { t0: table(e.t0), t1: table(e.t1), m0: memory(e.m0), m1: memory(e.m1) };
}

Deno.test("active segments made passive and applied by a start function fill the same", () => {
  const bytes = segmentsModule();
  const expected = contents(bytes, {});
  assertEquals(expected.t0, [1, 2, undefined, undefined, 3, undefined, undefined, undefined]);
  assertEquals(expected.t1, [undefined, undefined, undefined, 3, 1, undefined, 2, undefined]);
  assertEquals(expected.m0.slice(0, 12), [0, 0, 0x61, 0x62, 0, 0, 0, 0, 0, 0, 0x67, 0x68]);
  assertEquals(expected.m1.slice(0, 5), [0, 0, 0, 0x63, 0x64]);

  const { sections, segments } = rewriteSections(bytes, {}, { passiveSegments: true });
  assertEquals(segments.map((s) => [s.kind, s.segment, s.target, s.length]), [
    ["elem", 0, 0, 2],
    ["elem", 1, 1, 2],
    ["elem", 2, 0, 2],
    ["elem", 3, 1, 1],
    ["data", 0, 0, 2],
    ["data", 1, 1, 2],
    ["data", 3, 0, 2],
  ]);
  assert(sections.some((s) => s.id === SectionId.DataCount), "a data count section was added");
  const passive = [...sections];
  addInitFunction(passive, segments);
  assertEquals(contents(writeSections(passive), {}), expected);

  for (const n of [1, 130]) {
    for (const made of [shiftModule(bytes, n, { passive: true }), shiftModule(bytes, n)]) {
      assertEquals(contents(made.bytes, dummyImports()), expected, `shifted by ${n}`);
    }
  }
  // Not passive, tables and memories swapped: the segments (and exports) follow, and those of
  // table or memory 0 take the explicit forms (element flags 2 and 6, data flags 2).
  const moved = rewriteModule(bytes, { table: [1, 0], memory: [1, 0] }).bytes;
  assertEquals(contents(moved, {}), expected);
  const flags = (id: number) => {
    const r = new Reader(readSections(moved).find((s) => s.id === id)!.payload);
    r.u32();
    return r.u32();
  };
  assertEquals([flags(SectionId.Element), flags(SectionId.Data)], [2, 2]);
});

Deno.test("a segment out of bounds traps after the ones before it, passive or not", () => {
  const bytes = wat(`(module
    (import "env" "memory" (memory 1))
    (data (i32.const 0) "xy")
    (data (i32.const 65535) "zz")
    (data (i32.const 4) "never"))`);
  const sections = [...rewriteSections(bytes, {}, { passiveSegments: true }).sections];
  addInitFunction(sections, rewriteSections(bytes, {}, { passiveSegments: true }).segments);
  for (const b of [bytes, writeSections(sections)]) {
    const memory = new WebAssembly.Memory({ initial: 1 });
    assertThrows(() => instantiate(b, { env: { memory } }), WebAssembly.RuntimeError);
    assertEquals([...new Uint8Array(memory.buffer, 0, 6)], [0x78, 0x79, 0, 0, 0, 0]);
  }
});

Deno.test("segmentInitCode: offset, source 0, length, init, drop", () => {
  const code = segmentInitCode([
    { kind: "elem", segment: 2, target: 1, offset: new Uint8Array([0x23, 0x00, 0x0b]), length: 3 },
    {
      kind: "data",
      segment: 200,
      target: 0,
      offset: new Uint8Array([0x41, 0x08, 0x0b]),
      length: 64,
    },
  ]);
  assertEquals([...code], [
    ...[0x23, 0x00, 0x41, 0x00, 0x41, 0x03, 0xfc, 0x0c, 0x02, 0x01, 0xfc, 0x0d, 0x02],
    ...[
      0x41,
      0x08,
      0x41,
      0x00,
      0x41,
      0xc0,
      0x00,
      0xfc,
      0x08,
      0xc8,
      0x01,
      0x00,
      0xfc,
      0x09,
      0xc8,
      0x01,
    ],
  ]);
});

// ---- the name section ------------------------------------------------------

Deno.test("the name section is renumbered: V8's stack traces name the moved functions", () => {
  const bytes = wat(
    `(module
      (global $g (mut i32) (i32.const 0))
      (func $inner (param $x i32) (global.set $g (local.get $x)) unreachable)
      (func $outer (export "run") i32.const 1 call $inner))`,
    true,
  );
  const trace = (b: Uint8Array) => {
    try {
      (instantiate(b, dummyImports()).exports.run as () => void)();
    } catch (e) {
      return (e as Error).stack!;
    }
    throw new Error("no trap");
  };
  const shifted = shiftModule(bytes, 3).bytes;
  for (const b of [bytes, shifted]) {
    const stack = trace(b);
    assert(/at inner \(wasm:/.test(stack) && /at outer \(wasm:/.test(stack), stack);
  }
  // The names of functions, locals and globals all follow: wabt reads them back where they
  // belong, after the three imported functions and globals.
  const printed = text(shifted);
  assert(printed.includes("(func $inner (type 3) (param $x i32)"), printed);
  assert(printed.includes("(func $outer (type 4)"), printed);
  assert(printed.includes("(global $g (mut i32)"), printed);
  // Unnamed, the frames would carry no names.
  const unnamed = writeSections(readSections(shifted).filter((s) => s.name !== "name"));
  const bare = trace(unnamed);
  assert(!/at (inner|outer) \(wasm:/.test(bare), bare);
});

Deno.test("a malformed name section is emptied, not thrown over, and no map touches others", () => {
  const bytes = wat(`(module (func $f) (func $g))`, true);
  const sections = readSections(bytes).map((s) =>
    s.name === "name"
      ? { id: 0, payload: new Uint8Array([4, 0x6e, 0x61, 0x6d, 0x65, 1, 200]), offset: -1 }
      : s
  );
  sections.push({ id: 0, payload: new Uint8Array([3, 0x61, 0x62, 0x63, 1, 2, 3]), offset: -1 });
  const { bytes: out } = rewriteModule(writeSections(sections), { func: (i) => i + 1 });
  const custom = readSections(out).filter((s) => s.id === 0).map((s) => [s.name, s.payload.length]);
  assertEquals(custom, [["name", 5], ["abc", 7]]);
});

// ---- errors ----------------------------------------------------------------

Deno.test("errors: unknown opcodes and indices name what and where; bad maps are programming errors", () => {
  const hole = harness([0x00, 0xfd, 0x9a, 0x01, 0x1a]);
  const at = hole.indexOf(0xfd);
  const e = assertThrows(() => rewriteModule(hole, IDENTITY), CompileError);
  assertEquals([e.reason, e.offset], ["unknown opcode 0xfd 0x9a", at]);
  const gc = assertThrows(() => rewriteModule(harness([0x00, 0xfb, 0x40, 0x1a]), {}), CompileError);
  assertEquals(gc.reason, "unknown opcode 0xfb 0x40");
  assertEquals(
    assertThrows(() => rewriteModule(harness([0x00, 0xff, 0x1a]), {}), CompileError).reason,
    "unknown opcode 0xff",
  );

  const calls = harness([0x10, 0x00]); // call 0
  const unknown = assertThrows(() => rewriteModule(calls, { func: [] }), CompileError);
  // The first reference to function 0 is the passive element segment's (flags 1, kind, count 1).
  const elem = readSections(calls).find((s) => s.id === SectionId.Element)!;
  assertEquals([unknown.reason, unknown.offset], ["unknown function 0", elem.offset + 4]);
  const load = harness([0x41, 0x00, 0x28, 0x42, 0x01, 0x00, 0x1a]); // i32.load from memory 1
  const memory = (i: number) => (i === 0 ? 1 : undefined);
  assertThrows(() => rewriteModule(load, { memory }), CompileError, "unknown memory 1");

  assertThrows(() => rewriteModule(calls.subarray(0, calls.length - 3), {}), CompileError);
  assertThrows(
    () => rewriteModule(new Uint8Array([0, 0x61, 0x73, 0x6d, 0x0a, 0, 1, 0]), {}),
    CompileError,
    "not a core module",
  );
  assertThrows(() => rewriteModule(calls, { func: () => -1 }), RangeError);
  assertThrows(() => rewriteModule(calls, { func: 3 as unknown as number[] }), TypeError);
});

// ---- the core conformance suite's modules ----------------------------------

const shared = new URL("../../shared/conformance/core/", import.meta.url);
const present = await Deno.stat(shared).then(() => true, () => false);
if (!present) console.log("skipping the core conformance modules: ../shared not found");

function wastFiles(): string[] {
  if (!present) return [];
  return [...Deno.readDirSync(shared)].map((e) => e.name).filter((n) => n.endsWith(".wast"))
    .sort();
}

/** Commands that define a module V8 may be asked to validate. */
const DEFINING = new Set(["assert_unlinkable", "assert_uninstantiable", "assert_trap"]);

function head(form: SExpr | undefined): string | undefined {
  if (form?.type !== "list") return undefined;
  const first = form.items[0];
  return first?.type === "atom" ? first.text : undefined;
}

/** Every core module the core suite defines that V8 validates, by file and line. */
const coreModules = await (async () => {
  const found: { name: string; bytes: Uint8Array }[] = [];
  for (const file of wastFiles()) {
    const source = await Deno.readTextFile(new URL(file, shared));
    const forms = readSExprs(source, file);
    const modules = forms.flatMap((f) =>
      head(f) === "module"
        ? [f]
        : DEFINING.has(head(f)!) && head((f as SList).items[1]) === "module"
        ? [(f as SList).items[1]]
        : []
    );
    for (const form of modules) {
      let bytes: Uint8Array;
      try {
        bytes = await parseWat(source, { filename: file, module: form as SList });
      } catch {
        continue;
      }
      if (bytes[4] !== 1 || !WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)) continue;
      const line = source.slice(0, form.start).split("\n").length;
      found.push({ name: `${file}:${line}`, bytes });
    }
  }
  return found;
})();

Deno.test({
  name: "core suite: identity maps give every module back byte for byte",
  ignore: !present,
  fn() {
    assert(coreModules.length > 1000, `${coreModules.length} modules`);
    for (const { name, bytes } of coreModules) {
      assert(sameBytes(rewriteModule(bytes, {}).bytes, bytes), name);
      assert(sameBytes(rewriteModule(bytes, IDENTITY).bytes, bytes), `${name}, through the maps`);
    }
    console.log(`${coreModules.length} core modules, each given back byte for byte`);
  },
});

Deno.test({
  name: "core suite: shifted, and with segments made passive, every module still validates",
  ignore: !present,
  fn() {
    for (const { name, bytes } of coreModules) {
      for (const passive of [false, true]) {
        const shifted = shiftModule(bytes, 3, { passive }).bytes;
        assertEquals(v8Error(shifted), undefined, `${name}${passive ? ", passive" : ""}`);
      }
    }
  },
});

/** Dummies the script runner's `spectest` module provides (it has no tag). */
const SPECTEST_DUMMIES: Dummies = {
  module: "spectest",
  func: "print",
  table: "table",
  memory: "memory",
  global: "global_i32",
};

/** Each module V8 validates, its indices shifted by 2 and its segments applied by a start function. */
function shiftForScript(bytes: Uint8Array): Uint8Array {
  if (!WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)) return bytes;
  shiftedForScripts++;
  return shiftModule(bytes, 2, { dummies: SPECTEST_DUMMIES, passive: true }).bytes;
}

let shiftedForScripts = 0;

Deno.test({
  name: "core suite: the scripts give the same results with every module shifted and made passive",
  ignore: !present,
  async fn() {
    let commands = 0;
    for (const file of wastFiles()) {
      const source = await Deno.readTextFile(new URL(file, shared));
      const plain = await runScript(source, file);
      const shifted = await runScript(source, file, { transformBinary: shiftForScript });
      const lines = (r: typeof plain) => r.failures.map((f) => `${f.line}: ${f.command}`);
      assertEquals(lines(shifted), lines(plain), file);
      assertEquals(shifted.passed, plain.passed, file);
      commands += plain.passed + plain.failed;
    }
    assert(shiftedForScripts > 1000, `${shiftedForScripts} modules shifted`);
    console.log(`${commands} commands, the same results on ${shiftedForScripts} shifted modules`);
  },
});

// ---- real clang output ------------------------------------------------------

const fixtures = new URL("./fixtures/wasi/", import.meta.url);
const programs = [...Deno.readDirSync(fixtures)].map((e) => e.name).filter((n) =>
  n.endsWith(".wasm")
)
  .sort();

Deno.test("WASI programs: identity maps give every one back byte for byte", async () => {
  assert(programs.includes("lua.wasm"));
  for (const file of programs) {
    const bytes = await Deno.readFile(new URL(file, fixtures));
    assert(sameBytes(rewriteModule(bytes, IDENTITY).bytes, bytes), file);
  }
});

/** Runs a WASI command in memory: its exit status and what it printed. */
function runProgram(
  bytes: Uint8Array,
  args: string[],
  files: Map<string, File> = new Map(),
  imports: WebAssembly.Imports = {},
) {
  const out: string[] = [];
  const wasi = new WASI(args, [], [
    new OpenFile(new File([])),
    ConsoleStdout.lineBuffered((line) => out.push(line)),
    ConsoleStdout.lineBuffered((line) => out.push(`stderr: ${line}`)),
    new PreopenDirectory("/data", files),
  ], { debug: false });
  const instance = instantiate(bytes, { ...imports, wasi_snapshot_preview1: wasi.wasiImport });
  const status = wasi.start(instance as never);
  return { status, out };
}

Deno.test("WASI programs: shifted, with segments made passive, they run the same", async () => {
  const read = (file: string) => Deno.readFile(new URL(file, fixtures));
  const hello = await read("hello.wasm");
  const lua = await read("lua.wasm");
  const luaFiles = async () =>
    new Map(
      await Promise.all(
        ["hello.lua", "in.txt"].map(async (f) => [f, new File(await read(`lua/${f}`))] as const),
      ),
    );
  for (
    const [bytes, args] of [[hello, ["hello", "a", "b c"]], [lua, [
      "lua",
      "/data/hello.lua",
      "/data/in.txt",
    ]]] as const
  ) {
    const expected = runProgram(bytes, [...args], await luaFiles());
    assert(expected.out.length > 3, expected.out.join("\n"));
    for (const passive of [false, true]) {
      const shifted = shiftModule(bytes, 5, { passive });
      const got = runProgram(shifted.bytes, [...args], await luaFiles(), dummyImports());
      assertEquals(got, expected, `${args[0]}${passive ? ", passive" : ""}`);
    }
  }
});

// ---- mutations ---------------------------------------------------------------

Deno.test("mutated modules: rewriting throws CompileError or nothing, and identity keeps bytes", async () => {
  const seeds = [
    segmentsModule(),
    wat(EXCEPTION_MODULES.legacy),
    wat(EXCEPTION_MODULES.tryTable),
    wat(
      `(module (func $f (param $x i32) (local $y i64)) (func $g) (global $h i32 (i32.const 0)))`,
      true,
    ),
    await Deno.readFile(new URL("hello.wasm", fixtures)),
    ...tableModules.filter((_, i) => i % 40 === 0).map((m) => m.bytes),
  ];
  const random = prng(20260110);
  const cases = 3000;
  let failed = 0;
  for (let i = 0; i < cases; i++) {
    const bytes = seeds[i % seeds.length].slice();
    const edits = 1 + Math.floor(random() * 4);
    for (let k = 0; k < edits; k++) {
      const at = 8 + Math.floor(random() * (bytes.length - 8));
      bytes[at] = random() < 0.5
        ? bytes[at] ^ (1 << Math.floor(random() * 8))
        : Math.floor(random() * 256);
    }
    const cut = random() < 0.1 ? 8 + Math.floor(random() * (bytes.length - 8)) : bytes.length;
    const mutated = bytes.subarray(0, cut);
    const small = Array.from({ length: 6 }, (_, j) => j + 1);
    const attempts: [IndexMaps, boolean][] = [
      [{}, false],
      [IDENTITY, true],
      [
        { func: (j) => j + 3, memory: (j) => j + 1, type: (j) => j + 64, elem: small, data: small },
        true,
      ],
      [{ func: small, table: small, global: small, tag: small, memory: [1, 0] }, false],
    ];
    for (const [maps, passive] of attempts) {
      try {
        const out = rewriteModule(mutated, maps, { passiveSegments: passive }).bytes;
        const named = readSections(mutated).some((s) => s.name === "name");
        if (maps === attempts[0][0] && !named) assert(sameBytes(out, mutated), `case ${i}`);
      } catch (e) {
        if (!(e instanceof CompileError)) throw new Error(`case ${i}: ${e}`, { cause: e });
        failed++;
      }
    }
  }
  assert(failed > 0 && failed < cases * 4, `${failed}`);
  console.log(
    `${cases} mutated modules, four rewrites each: ${failed} CompileErrors, nothing else`,
  );
});
