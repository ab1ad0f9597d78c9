/**
 * `printWat`: binary → text → `parseWat` gives the same binary. Each
 * module-linking construct on its own, names, notes for what text cannot
 * say, refusals; then every module of the conformance suites and of our own
 * scripts (the modules that compile), and the binaries that `(module
 * binary …)` gives, which need not be laid out as `parseWat` lays binaries
 * out: their text must still mean the same, and be a fixed point.
 */

import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { compile, CompileError, parseWat, printWat, validateSync } from "../mod.ts";
import {
  parseWat as parseModuleForm,
  readSExprs,
  type SExpr,
  type SList,
} from "../lib/text/mod.ts";
import { bin, code, func, moduleName, types } from "./helpers/build.ts";
import { SEED_PROGRAMS } from "./helpers/fuzz_seeds.ts";
import { prng } from "../bench/workloads.ts";

/** Prints `bytes`, parses the text back and checks that the bytes are the same; returns the text. */
async function roundTrip(bytes: Uint8Array, what = "the module"): Promise<string> {
  const text = await printWat(bytes);
  let again: Uint8Array;
  try {
    again = await parseWat(text, { filename: "printed.wat" });
  } catch (e) {
    throw new Error(`${what}: the printed text does not parse: ${(e as Error).message}\n${text}`);
  }
  assertEquals(again, bytes, `${what} printed as:\n${text}`);
  return text;
}

/** Parses `source`, then round-trips its binary; returns the printed text. */
async function roundTripText(source: string): Promise<string> {
  return await roundTrip(await parseWat(source), source);
}

Deno.test("module-linking constructs print with numeric indices and parse back to the same bytes", async () => {
  const text = await roundTripText(`(module $app
    (type $ft (func (param i32) (result i32)))
    (type $it (instance (export "f" (func (type $ft))) (export "m" (memory 1))))
    (type $mt (module (import "in" (instance (type $it))) (export "out" (func (type $ft)))))
    (import "single" (func $single (type $ft)))
    (import "env" "log" (func $log (param i32)))
    (import "env" "mem" (memory 1 2))
    (import "env" "tab" (table 1 funcref))
    (import "env" "g" (global (mut i64)))
    (import "lib" (module $lib (type $mt)))
    (import "inst" (instance $inst (type $it)))
    (module $child
      (import "in" (instance $in (type outer $app $it)))
      (module $grandchild (alias outer $app $lib (module $l)))
      (alias outer $app $ft (type $f2))
      (func (export "out") (type $f2) local.get 0 (call (func $in "f") (local.get 0)))
      (export "g" (module $grandchild)))
    (instance $c (instantiate $child (import "in" (instance $inst))))
    (instance $l (instantiate $lib (import "in" (instance $inst))))
    (alias $c "out" (func $out))
    (alias $c "g" (module $g))
    (instance $pack (export "f" (func $out)) (export "m" (memory 0)))
    (func (export "run") (param i32) (result i32)
      (call $log (local.get 0))
      (call $out (local.get 0)))
    (export "c" (instance $c))
    (export "lib" (module $lib))
    (export "pack" (instance $pack))
    (export "mem" (memory 0)))`);
  for (
    const line of [
      "(module $app",
      '(type (;1;) (instance (export "f" (func (type 0))) (export "m" (memory 1))))',
      '(import "single" (func (;0;) (type 0)))',
      '(import "env" "log" (func (;1;) (type 3)))',
      '(import "lib" (module (;0;) (type 2)))',
      "(alias outer 1 0 (module (;0;)))",
      "(alias outer 0 0 (type (;1;)))",
      '(instance (;2;) (instantiate 1 (import "in" (instance 1))))',
      '(alias 2 "out" (func (;2;)))',
      '(instance (;4;) (export "f" (func 2)) (export "m" (memory 0)))',
      '(export "c" (instance 2))',
    ]
  ) {
    assertStringIncludes(text, line);
  }
});

Deno.test("core parts print through wabt, with names, tags and start", async () => {
  const text = await roundTripText(`(module $m
    (import "env" "log" (func $log (@name "logger") (param i32)))
    (module $inner (func (export "f")))
    (instance $i (instantiate $inner))
    (func $named (@name "fast path") (export "f") (param i32)
      (call $log (local.get 0)))
    (func (@name "second") (call (func $i "f")))
    (table 2 funcref)
    (elem (i32.const 0) func $named 1)
    (memory 1)
    (data (i32.const 0) "hi\\00\\ff")
    (global $g (mut i32) (i32.const 7))
    (tag $t (param i32))
    (start 3))`);
  assertStringIncludes(text, '(import "env" "log" (func (;0;) (@name "logger") (type 0)))');
  assertStringIncludes(text, '(func (;2;) (@name "fast path") (type 0) (param i32)');
  assertStringIncludes(text, "(tag (;0;) (type 0) (param i32))");
  assertStringIncludes(text, "(start 3)");
  // A plain core module goes through wabt whole, names included.
  const core = await roundTripText(`(module $plain
    (import "a" "b" (func (@name "imported")))
    (func (@name "x y") (export "x"))
    (memory 1))`);
  assertStringIncludes(core, '(import "a" "b" (func (;0;) (@name "imported") (type 0)))');
  assertStringIncludes(core, '(func (;1;) (@name "x y") (type 0))');
});

Deno.test("module names that are no identifier, or are taken, are written as @name", async () => {
  const text = await roundTripText(`(module (@name "two words")
    (module $same)
    (module (@name "same"))
    (module (@name "")))`);
  assertStringIncludes(text, '(module (@name "two words")');
  assertStringIncludes(text, "(module $same (;0;))");
  assertStringIncludes(text, '(module (@name "same") (;1;))');
  assertStringIncludes(text, '(module (@name "") (;2;))');
  // Names are quoted so that they read back as they are.
  const quotedNames = await roundTripText(
    '(module (import "a\\"b\\\\" "\\u{1f600}\\u{2028}" (func)) (export "\\t" (func 0)))',
  );
  assertStringIncludes(quotedNames, '(import "a\\"b\\\\" "\u{1f600}\\u{2028}"');
});

Deno.test("types wabt added for inline signatures are left to wabt again", async () => {
  // The module's own types and wabt's are two type sections in a row, which
  // explicit (type …) fields would merge: the core code gets inline
  // signatures instead, so that wabt adds the same types.
  const text = await roundTripText(`(module
    (import "i" (instance (export "f" (func (param f64)))))
    (type (module))
    (table 1 funcref)
    (func (param i64) (result i32)
      (call_indirect (param f32) (result i32) (f32.const 0) (i32.const 0)))
    (func (param i32) (block (param i32) (result i32)) drop)
    (func (call 0 (f64.const 1))))`);
  assert(!text.includes(";; note"), text);
  assertStringIncludes(text, "call_indirect (param f32) (result i32)");
  // Otherwise they are ordinary type fields.
  await roundTripText(`(module
    (module $m (func (export "f") (param f32)))
    (instance $i (instantiate $m))
    (func (param i64) (call (func $i "f") (f32.const 1))))`);
});

Deno.test("what text cannot say is a note, and the text keeps the meaning", async () => {
  // A custom section, and two type sections in a row the text writes as one.
  const bytes = bin(
    { id: 0, name: "producers", data: new Uint8Array([1, 2, 3]) },
    types(func([0x7f])),
    types(func(), { form: "instance", exports: [] }),
    { id: 3, funcs: [1] },
    code([]),
    moduleName("m"),
  );
  const text = await printWat(bytes);
  assertStringIncludes(text, ';; note: custom section "producers" (3 bytes) is not printed');
  assertStringIncludes(text, ";; note: two consecutive type sections, written as one");
  const again = await parseWat(text);
  assertEquals(await printWat(again), text.replace(/^ *;; note: .*\n/gm, ""));
  assertEquals((await compile(again)).exports(), (await compile(bytes)).exports());
  // A module of only a custom section still closes its parenthesis.
  const custom = bin({ id: 0, name: "x", data: new Uint8Array() });
  assertEquals(await parseWat(await printWat(custom)), bin());
});

Deno.test("printWat refuses artifacts, text and malformed binaries with a CompileError", async () => {
  const module = await compile("(module (func))");
  const artifact = await assertRejects(() => printWat(module.serialize()), CompileError);
  assertStringIncludes(artifact.message, "this is an mlink artifact");
  assertStringIncludes(artifact.message, "cannot be printed");
  const text = await assertRejects(
    () => printWat(new TextEncoder().encode("(module)")),
    CompileError,
  );
  assertStringIncludes(text.message, "text already");
  const version = await assertRejects(
    () => printWat(new Uint8Array([0, 97, 115, 109, 2, 0, 0, 0])),
    CompileError,
  );
  assertEquals([version.reason, version.offset], ["unknown binary version", 4]);
  await assertRejects(() => printWat(new Uint8Array()), CompileError, "it is empty");
  for (const source of [5, null, "(module)", [0, 97, 115, 109]]) {
    await assertRejects(
      () => printWat(source as unknown as Uint8Array),
      CompileError,
      "printWat expects",
    );
  }
  const buffer = new ArrayBuffer(8);
  structuredClone(buffer, { transfer: [buffer] });
  await assertRejects(() => printWat(buffer), CompileError, "detached");
});

// ---- the conformance suites and our scripts -------------------------------

const shared = new URL("../../shared/conformance/", import.meta.url);
const present = await Deno.stat(shared).then(() => true, () => false);
if (!present) {
  console.log("skipping print round trips of the conformance suites: ../shared not found");
}

function wastFiles(dir: URL): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".wast")).sort();
  } catch {
    return [];
  }
}

function head(e: SExpr | undefined): string | undefined {
  return e?.type === "list" && e.items[0]?.type === "atom" ? e.items[0].text : undefined;
}

/** Commands whose module is expected to compile (assert_invalid and assert_malformed ones are not). */
const COMPILING = new Set(["assert_unlinkable", "assert_uninstantiable", "assert_trap"]);

/** Every module form of a script that should compile: top-level ones, and those of the commands above. */
function moduleForms(text: string, file: string): SList[] {
  const forms: SList[] = [];
  for (const form of readSExprs(text, file)) {
    if (head(form) === "module") forms.push(form as SList);
    else if (COMPILING.has(head(form)!) && head((form as SList).items[1]) === "module") {
      forms.push((form as SList).items[1] as SList);
    }
  }
  return forms;
}

/** `binary` for `(module $id? binary …)`, `quote` for `(module $id? quote …)`, else `text`. */
function formKind(form: SList): "binary" | "quote" | "text" {
  const items = form.items;
  const at = items[1]?.type === "atom" && items[1].kind === "id" ? items[2] : items[1];
  if (at?.type === "atom" && at.kind === "keyword") {
    if (at.text === "binary" || at.text === "quote") return at.text;
  }
  return "text";
}

interface Counts {
  /** Modules from text (and quoted text) that compile, all round-tripped exactly. */
  text: number;
  /** Binary modules that compile. */
  binary: number;
  /** Of those, the ones that round-trip byte for byte. */
  binaryExact: number;
  /** Modules that do not compile (known exceptions of the core suite), not printed. */
  invalid: number;
}

async function roundTripScript(dir: URL, file: string, counts: Counts): Promise<void> {
  const text = await Deno.readTextFile(new URL(file, dir));
  for (const form of moduleForms(text, file)) {
    const at = `${file}:${text.slice(0, form.start).split("\n").length}`;
    let bytes: Uint8Array;
    try {
      bytes = await parseModuleForm(text, { filename: file, module: form });
    } catch {
      counts.invalid++;
      continue;
    }
    if (!validateSync(bytes).valid) {
      counts.invalid++;
      continue;
    }
    if (formKind(form) !== "binary") {
      await roundTrip(bytes, at);
      counts.text++;
      continue;
    }
    // A binary keeps its meaning, and its text is a fixed point.
    counts.binary++;
    const printed = await printWat(bytes);
    const again = await parseWat(printed, { filename: "printed.wat" });
    assert(validateSync(again).valid, `${at}: the printed binary compiles`);
    await roundTrip(again, `${at} (printed once)`);
    if (again.length === bytes.length && again.every((b, i) => b === bytes[i])) {
      counts.binaryExact++;
    }
  }
}

function suiteTest(name: string, dir: URL, skip: boolean): void {
  Deno.test({
    name: `print round trip: ${name}`,
    ignore: skip,
    async fn() {
      const files = wastFiles(dir);
      assert(files.length > 0, `${name}: no scripts found`);
      const counts: Counts = { text: 0, binary: 0, binaryExact: 0, invalid: 0 };
      for (const file of files) await roundTripScript(dir, file, counts);
      console.log(
        `${name}: ${files.length} scripts, ${counts.text} text modules round-tripped exactly, ` +
          `${counts.binary} binary modules kept their meaning (${counts.binaryExact} byte for byte), ` +
          `${counts.invalid} not compiling left out`,
      );
      assert(counts.text > 0);
    },
  });
}

suiteTest("module-linking suite", new URL("module-linking/", shared), !present);
suiteTest("core suite", new URL("core/", shared), !present);
suiteTest("our scripts (tests/wast)", new URL("./wast/", import.meta.url), false);

Deno.test("mutated binaries: printing never fails but with a CompileError, and valid ones come back", async () => {
  const seeds = await Promise.all(SEED_PROGRAMS.map((p) => parseWat(p)));
  const random = prng(0x5eed);
  const cases = 2000;
  let printed = 0;
  let valid = 0;
  for (let i = 0; i < cases; i++) {
    const bytes = new Uint8Array(seeds[i % seeds.length]);
    for (let n = 1 + Math.floor(random() * 2); n > 0; n--) {
      bytes[8 + Math.floor(random() * (bytes.length - 8))] = Math.floor(random() * 256);
    }
    let text: string;
    try {
      text = await printWat(bytes);
    } catch (e) {
      assert(e instanceof CompileError, `case ${i}: ${e}`);
      continue;
    }
    printed++;
    if (!validateSync(bytes).valid) continue;
    valid++;
    // A valid module's text parses back to a valid module, whose text is a fixed point.
    const again = await parseWat(text, { filename: `case-${i}.wat` });
    assert(validateSync(again).valid, `case ${i}:\n${text}`);
    await roundTrip(again, `case ${i}`);
  }
  assert(printed > cases / 20 && valid > 50, `${printed} printed, ${valid} valid`);
});

Deno.test("bytes that only look like a view are a CompileError for printWat, validate and compile", async () => {
  // `instanceof Uint8Array` holds for it, but it is no view: its getters throw.
  const lookalike = Object.create(Uint8Array.prototype) as Uint8Array;
  await assertRejects(() => printWat(lookalike), CompileError, "printWat expects a Uint8Array");
  await assertRejects(() => compile(lookalike), CompileError, "compile expects");
  let thrown: unknown;
  try {
    validateSync(lookalike);
  } catch (e) {
    thrown = e;
  }
  assert(thrown instanceof CompileError, String(thrown));
  assertStringIncludes(
    (thrown as CompileError).message,
    "validateSync expects a Uint8Array or an ArrayBuffer",
  );
});
