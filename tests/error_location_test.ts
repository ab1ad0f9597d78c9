/**
 * Errors V8 finds in the core modules split out of a module-linking binary
 * point into what was compiled (issue 13): a byte offset in the binary as
 * given, or `file:line:col` in the text, at the offending instruction when
 * it can be found, else at the function, global or segment.
 */

import { assert, assertEquals, assertInstanceOf, assertRejects, assertThrows } from "@std/assert";
import { compile, CompileError, compileSync } from "../mod.ts";
import { compileBinary } from "../lib/compile/mod.ts";
import {
  type CoreErrorSite,
  coreOffsetOf,
  locateCoreError,
  withoutCoreOffset,
} from "../lib/compile/core_offsets.ts";
import { textCompileError } from "../lib/text/source_map.ts";
import {
  bin,
  code,
  func,
  funcDesc,
  funcs,
  globals,
  I32,
  I64,
  imp,
  imports,
  mod,
  moduleName,
  modules,
  start,
  types,
} from "./helpers/build.ts";
import { encode } from "../lib/binary/encode.ts";
import type { Section } from "../lib/ir.ts";
import { WABT_FEATURES } from "../lib/text/wabt.ts";

// ---- binary input --------------------------------------------------------

/** The offset in its core module that V8 reported, from the error's cause. */
function v8Offset(e: CompileError): number {
  const cause = e.cause;
  if (!(cause instanceof WebAssembly.CompileError)) throw new Error(`cause: ${cause}`);
  const at = coreOffsetOf(cause.message);
  if (at === undefined) throw new Error(`no offset in ${cause.message}`);
  return at;
}

/**
 * Asserts that `e` points at the byte of `bytes` that V8 pointed at in the
 * core module of module `module`: the same bytes follow both places.
 */
function assertSameBytes(bytes: Uint8Array, e: CompileError, module: number, length: number) {
  const core = compileBinary(bytes).modules[module].core!;
  const at = v8Offset(e);
  const offset = e.offset;
  if (offset === undefined) throw new Error(`no offset: ${e.message}`);
  assertEquals(bytes.subarray(offset, offset + length), core.subarray(at, at + length));
}

/** Index of the first occurrence of `needle` in `bytes` (exactly one must exist). */
function indexOfBytes(bytes: Uint8Array, needle: readonly number[]): number {
  const found: number[] = [];
  for (let i = 0; i + needle.length <= bytes.length; i++) {
    if (needle.every((b, j) => bytes[i + j] === b)) found.push(i);
  }
  assertEquals(found.length, 1, `${needle} occurs once`);
  return found[0];
}

/**
 * A nested module whose core module differs from its own encoding before
 * the code: a single-level import (a module-linking feature) becomes the
 * core import `"" "0"`, and the type section gains nothing but moves.
 */
function child(...sections: Section[]) {
  return mod(
    types(func([I64], [I32]), func()),
    imports(imp("log", null, funcDesc(1))),
    ...sections,
    moduleName("child"),
  );
}

Deno.test("a bad body in a nested module points at the offending instruction of the binary", () => {
  // i32.const 1, local.get 0 (an i64), i32.add: V8 blames the local.get.
  const body = [0x41, 1, 0x20, 0, 0x6a];
  const bytes = bin(modules(child(funcs(0), code(body))), moduleName("app"));
  const e = assertThrows(() => compileSync(bytes), CompileError);
  assertEquals(e.path, ["module $app", "module $child"]);
  assertEquals(e.offset, indexOfBytes(bytes, body) + 2);
  assertEquals(bytes[e.offset!], 0x20); // local.get
  // The core module's offset is not the binary's: the mapping did something.
  assert(v8Offset(e) !== e.offset);
  assertSameBytes(bytes, e, 1, 3);
  assertEquals(
    e.message,
    "module $app > module $child: invalid core module: WebAssembly.Module(): Compiling " +
      "function #1 failed: i32.add[1] expected type i32, found local.get of type i64 " +
      `(at byte offset 0x${e.offset!.toString(16)})`,
  );
  assertEquals(e.reason, withoutCoreOffset(e.reason));
  assert(!e.message.includes("@+"), e.message);
});

Deno.test("compile() of a binary maps V8's offset as compileSync() does", async () => {
  const body = [0x41, 1, 0x20, 0, 0x6a];
  const bytes = bin(modules(mod(), child(funcs(0), code(body))));
  const e = await assertRejects(() => compile(bytes), CompileError);
  assertEquals(e.path, ["module $child"]);
  assertEquals(e.offset, indexOfBytes(bytes, body) + 2);
  assertSameBytes(bytes, e, 2, 2);
});

Deno.test("a data segment error points into the binary's data section", () => {
  // Data for memory 0 of a module without memories.
  const data: Section = { id: 11, data: new Uint8Array([1, 0, 0x41, 0, 0x0b, 1, 0x61]) };
  const bytes = bin(modules(child(data)));
  const e = assertThrows(() => compileSync(bytes), CompileError);
  assert(e.reason.includes("invalid memory index 0 for data section"), e.reason);
  // The segment, right after the section's id, size and count.
  assertEquals(e.offset, indexOfBytes(bytes, [...data.data]) + 1);
  assertSameBytes(bytes, e, 1, 4);
});

Deno.test("an element segment error points into the binary's element section", () => {
  const table: Section = { id: 4, tables: [{ elem: 0x70, limits: { min: 1 } }] };
  // One active segment of function 5, which does not exist.
  const elem: Section = { id: 9, data: new Uint8Array([1, 0, 0x41, 0, 0x0b, 1, 5]) };
  const bytes = bin(modules(child(funcs(1), table, elem, code([]))));
  const e = assertThrows(() => compileSync(bytes), CompileError);
  assert(e.reason.includes("function index 5 out of bounds"), e.reason);
  assertEquals(e.offset, indexOfBytes(bytes, [...elem.data]) + 6);
  assertSameBytes(bytes, e, 1, 1);
});

Deno.test("errors in re-encoded sections point at the entry in the binary", () => {
  // A global whose initializer has the wrong type: V8 points into the initializer.
  const init = new Uint8Array([0x42, 0, 0x0b]);
  const global = bin(modules(child(globals({ type: { type: I32, mutable: false }, init }))));
  const g = assertThrows(() => compileSync(global), CompileError);
  assert(g.reason.includes("type error in constant expression"), g.reason);
  assertSameBytes(global, g, 1, 1);
  // A start function with a parameter: the start section's function index.
  const started = bin(modules(child(funcs(0), start(1), code([0x41, 0]))));
  const s = assertThrows(() => compileSync(started), CompileError);
  assert(s.reason.includes("invalid start function"), s.reason);
  assertEquals(started[s.offset! - 2], 8); // the start section's id, then its size
  assertSameBytes(started, s, 1, 1);
});

Deno.test("an error at the end of a core module points at the end of the nested module", () => {
  // A function without a code section: V8 notices at the end.
  const nested = child(funcs(0));
  const bytes = bin(modules(nested, mod()), moduleName("app"));
  const e = assertThrows(() => compileSync(bytes), CompileError);
  assert(e.reason.includes("code section is absent"), e.reason);
  const own = encode(nested);
  assertEquals(e.offset, indexOfBytes(bytes, [...own]) + own.length);
});

Deno.test("a top-level core module's offsets are V8's own", () => {
  const bytes = bin(types(func([], [I32])), funcs(0), code([0x42, 1]));
  const e = assertThrows(() => compileSync(bytes), CompileError);
  assertEquals(e.path, []);
  assertEquals(e.offset, v8Offset(e));
  assertEquals(bytes[e.offset!], 0x0b); // V8 blames the end: an i64 left for an i32 result
});

Deno.test("locating gives up, without throwing, when the bytes do not line up", () => {
  const bytes = bin(types(func()), funcs(0), code([0x6a]));
  const core = compileBinary(bytes).modules[0].core!;
  const error = (reason: string) => new CompileError(reason, { path: [] });
  // No offset in the message.
  assertEquals(
    locateCoreError(error("invalid core module: x"), { source: bytes, core, module: 0 }),
    undefined,
  );
  // A core module that is not that module's.
  const other = compileBinary(bin(types(func()), funcs(0), code([0x01, 0x6a]))).modules[0].core!;
  assertEquals(
    locateCoreError(error("invalid core module: x @+23"), {
      source: bytes,
      core: other,
      module: 0,
    }),
    undefined,
  );
  // A module that does not exist, and bytes that are no binary.
  assertEquals(
    locateCoreError(error("invalid core module: x @+23"), { source: bytes, core, module: 3 }),
    undefined,
  );
  assertEquals(
    locateCoreError(error("invalid core module: x @+23"), {
      source: new Uint8Array([1, 2, 3]),
      core,
      module: 0,
    }),
    undefined,
  );
  // An offset past the end points at the end of the module.
  const end = locateCoreError(error(`x @+${core.length}`), { source: bytes, core, module: 0 });
  assertEquals(end?.offset, bytes.length);
});

// ---- text input ----------------------------------------------------------

/** The 1-based line and column of the `nth` occurrence of `needle` in `text`. */
function positionOf(text: string, needle: string, nth = 0): { line: number; column: number } {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    assert(at >= 0, `${needle} #${nth} in the text`);
  }
  const before = text.slice(0, at).split("\n");
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

/**
 * Compiles `text` as `app.wat`, expecting a CompileError at the `nth`
 * occurrence of `needle` (`shift` characters on), reported with `prefix` (the module path) and a
 * reason containing `reason`.
 */
async function assertTextError(
  text: string,
  at: { needle: string; nth?: number; shift?: number },
  prefix: string,
  reason: string,
): Promise<CompileError> {
  const e = await assertRejects(() => compile(text, { filename: "app.wat" }), CompileError);
  const { line, column: start } = positionOf(text, at.needle, at.nth);
  const column = start + (at.shift ?? 0);
  const [first, excerpt, caret] = e.message.split("\n");
  assert(first.startsWith(`app.wat:${line}:${column}: ${prefix}invalid core module: `), e.message);
  assert(e.reason.includes(reason), e.reason);
  assert(!e.message.includes("@+"), e.message);
  assertEquals(excerpt, `  ${text.split("\n")[line - 1]}`);
  assertEquals(caret, `  ${" ".repeat(column - 1)}^`);
  assertEquals(e.offset, undefined);
  assertInstanceOf(e.cause, WebAssembly.CompileError);
  return e;
}

const MISMATCH = "expected type i32, found local.get of type i64";

Deno.test("text: a flat body in a nested module points at the instruction", async () => {
  const text = `(module $app
  (module $child
    (func $imported (import "env" "f") (param i32))
    (func $ok (result i32) i32.const 1)
    (func $bad (param i64) (result i32)
      i32.const 1
      local.get 0
      i32.add))
  (func (export "g") nop))`;
  const e = await assertTextError(
    text,
    { needle: "local.get 0" },
    "module $app > module $child: ",
    MISMATCH,
  );
  assertEquals(e.path, ["module $app", "module $child"]);
  assertEquals([e.text?.file, e.text?.line, e.text?.column], ["app.wat", 7, 7]);
  assertEquals(e.text?.excerpt, "      local.get 0");
});

Deno.test("text: folded bodies after blocks, ifs and loops point at the instruction", async () => {
  const text = `(module
  (func $f (param i32 i64) (result i32)
    (block $b (br_if $b (local.get 0)))
    (if (local.get 0) (then nop) (else))
    (if (result i32) (local.get 0) (then (i32.const 1)) (else (i32.const 2)))
    drop
    local.get 0
    if $l
      nop
    else $l
    end $l
    local.get 0
    if
    else
      nop
    end
    (loop $l (nop) (br_if $l (i32.const 0)))
    block (result i32) i32.const 7 end
    drop
    (i32.add (i32.const 1) (local.get 1))))`;
  await assertTextError(text, { needle: "local.get 1" }, "", MISMATCH);
});

Deno.test("text: flat and folded blocks nest inside each other", async () => {
  const text = `(module
  (func (param i64) (result i32)
    (block
      block
        (loop nop)
      end)
    (i32.add
      (block (result i32) i32.const 1)
      (block (result i32) local.get 0))))`;
  // V8 blames the block that yields the i64 at its end: the folded block's closing parenthesis.
  await assertTextError(
    text,
    { needle: "local.get 0))))", shift: "local.get 0".length },
    "",
    "type error in fallthru[0] (expected i32, got i64)",
  );
  const branch = `(module
  (func (param i32) (result i32)
    (block $b (result i32)
      (if (result i32) (local.get 0)
        (then (i32.const 1))
        (else (br $b (i64.const 2)))))))`;
  await assertTextError(branch, { needle: "br $b" }, "", "type error in branch[0]");
});

Deno.test("text: immediates are not instructions", async () => {
  await assertTextError(
    `(module (func (result i32) (select (i32.const 1) (i64.const 2) (i32.const 0))))`,
    { needle: "i64.const" },
    "",
    "select[1] expected type i32, found i64.const",
  );
  await assertTextError(
    `(module (memory 1)
  (func (param i32) (result i32)
    (i32.load offset=4 align=2 (local.get 0))
    (i64.load (i32.const 0))
    i32.add))`,
    { needle: "i64.load" },
    "",
    "found i64.load of type i64",
  );
  await assertTextError(
    `(module
  (func (result i32)
    (v128.const i32x4 1 2 3 4) (i32x4.extract_lane 1)
    (f32.const nan) drop
    (f32.const inf) i32.add))`,
    { needle: "f32.const inf" },
    "",
    "found f32.const of type f32",
  );
});

Deno.test({
  name: "text: try, catch and try_table bodies point at the instruction",
  ignore: !WABT_FEATURES.exceptions,
  fn: async () => {
    await assertTextError(
      `(module
  (tag $e (param i32))
  (func (param i64) (result i32)
    (try (result i32)
      (do (throw $e (i32.const 1)))
      (catch $e)
      (catch_all (i32.const 2)))
    (i32.add (local.get 0))))`,
      { needle: "local.get 0" },
      "",
      MISMATCH,
    );
    await assertTextError(
      `(module
  (tag $e (param i32))
  (func (param i64) (result i32)
    try (result i32)
      i32.const 1
      throw $e
    catch $e
    catch_all
      i32.const 2
    end
    local.get 0
    i32.add))`,
      { needle: "local.get 0" },
      "",
      MISMATCH,
    );
    await assertTextError(
      `(module
  (tag $e)
  (func (param i64) (result i32)
    (block $h
      (try_table (catch $e $h) (throw $e)))
    (i32.add (i32.const 0) (local.get 0))))`,
      { needle: "local.get 0" },
      "",
      MISMATCH,
    );
  },
});

Deno.test("text: nested modules given as binaries or imported are skipped when counting", async () => {
  const text = `(module
  (module $bin binary "\\00asm\\01\\00\\00\\00")
  (module $imported (import "m"))
  (module $outer
    (module $empty)
    (module $inner
      (func (param i64) (result i32)
        (i32.add (i32.const 1) (local.get 0))))))`;
  await assertTextError(
    text,
    { needle: "local.get 0" },
    "module $outer > module $inner: ",
    MISMATCH,
  );
});

Deno.test("text: globals and segments point at their field", async () => {
  await assertTextError(
    `(module\n  (global i32 (i32.const 0))\n  (global i32 (i64.const 0)))`,
    { needle: "(global", nth: 1 },
    "",
    "type error in constant expression",
  );
  await assertTextError(
    `(module\n  (memory (data "x"))\n  (data (i64.const 0) "hi"))`,
    { needle: "(data", nth: 1 },
    "",
    "type error in constant expression",
  );
  await assertTextError(
    `(module\n  (table 1 funcref)\n  (func $f)\n  (elem (i32.const 0) 5))`,
    { needle: "(elem" },
    "",
    "out of bounds",
  );
  await assertTextError(
    `(module\n  (func $f (param i32))\n  (start $f))`,
    { needle: "(start" },
    "",
    "invalid start function",
  );
});

Deno.test("text: a nested module given as a binary keeps the binary's error", async () => {
  // (func (result i32) i64.const 1) as a binary, nested in text.
  const core = bin(types(func([], [I32])), funcs(0), code([0x42, 1]));
  const escaped = [...core].map((b) => `\\${b.toString(16).padStart(2, "0")}`).join("");
  const e = await assertRejects(
    () => compile(`(module (module $b binary "${escaped}"))`, { filename: "app.wat" }),
    CompileError,
  );
  // The embedded binary has no name section: its module is named by its index.
  assert(e.message.startsWith("module 0: invalid core module: "), e.message);
  assert(e.offset !== undefined && e.offset > 0, e.message);
});

Deno.test("text: instructions that do not line up point at the function", () => {
  const text = "(module\n  (func (result i32)\n    i64.const 1))";
  const error = new CompileError("invalid core module: x", { path: [] });
  const at = (item: CoreErrorSite["item"]) =>
    textCompileError(error, { text, filename: "a.wat", site: { offset: 0, route: [], item } })
      ?.message.split("\n")[0];
  // As many instructions as the binary has: the instruction.
  assertEquals(
    at({ kind: "func", index: 0, instruction: 0, opcodes: [0x42, 0x0b] }),
    "a.wat:3:5: invalid core module: x",
  );
  // The function's final `end` is its closing parenthesis.
  assertEquals(
    at({ kind: "func", index: 0, instruction: 1, opcodes: [0x42, 0x0b] }),
    "a.wat:3:16: invalid core module: x",
  );
  // A count that differs, or a block where the text has none: the function.
  assertEquals(
    at({ kind: "func", index: 0, instruction: 0, opcodes: [0x42, 0x1a, 0x0b] }),
    "a.wat:2:3: invalid core module: x",
  );
  assertEquals(
    at({ kind: "func", index: 0, instruction: 0, opcodes: [0x02, 0x0b] }),
    "a.wat:2:3: invalid core module: x",
  );
  // No instruction (the offset is in the locals): the function.
  assertEquals(at({ kind: "func", index: 0 }), "a.wat:2:3: invalid core module: x");
  // Nothing there: no position at all.
  assertEquals(at({ kind: "func", index: 1 }), undefined);
  assertEquals(at({ kind: "global", index: 0 }), undefined);
  assertEquals(at(undefined), undefined);
  assertEquals(
    textCompileError(error, {
      text,
      filename: "a.wat",
      site: { offset: 0, route: [0], item: { kind: "func", index: 0 } },
    }),
    undefined,
  );
  // Text that no longer reads: no position, and no exception.
  assertEquals(
    textCompileError(error, {
      text: "(module",
      filename: "a.wat",
      site: { offset: 0, route: [], item: { kind: "func", index: 0 } },
    }),
    undefined,
  );
});

Deno.test("text: other errors keep their form", async () => {
  // An error of the text itself is a WatError, as before.
  const wat = await assertRejects(() => compile(`(module (func $f) (export "g" (func $g)))`));
  assertEquals((wat as Error).name, "WatError");
  // An error of mlink's own validator is unchanged.
  const e = await assertRejects(
    () => compile(`(module (import "a" (func)) (import "a" (global i32)))`),
    CompileError,
  );
  assertEquals(e.message, 'duplicate import name "a" (at byte offset 0x17)');
});
