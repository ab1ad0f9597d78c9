/**
 * The text front-end's extensions of the 2021 text format (docs/text-format.md):
 * annotations and `(@name …)`, paths through nested instances, tags, and
 * instances made of exports; checked on the decoded binaries they produce
 * and on their errors' positions.
 */

import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { decode, encode } from "../lib/binary/mod.ts";
import { Reader } from "../lib/binary/reader.ts";
import { WatError } from "../lib/errors.ts";
import type { ModuleIR, Section } from "../lib/ir.ts";
import { parseWat, readSExprs, type SAtom, type SList } from "../lib/text/mod.ts";
import { compile, instantiate } from "../mod.ts";
import { loadCoreAssembler, WABT_FEATURES } from "../lib/text/wabt.ts";

const I32 = 0x7f, I64 = 0x7e, F32 = 0x7d;

/** Parses, checks the binary round-trips, and decodes it without offsets. */
async function lower(text: string): Promise<ModuleIR> {
  const bytes = await parseWat(text);
  assertEquals(encode(decode(bytes)), bytes, "the binary round-trips");
  return strip(decode(bytes));
}

/** A deep copy of `value` without its `offset` fields, so that IR compares structurally. */
function strip<T>(value: T): T {
  if (typeof value !== "object" || value === null || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(strip) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (k !== "offset") out[k] = strip(v);
  return out as T;
}

/** Section ids in order, custom sections as their name. */
function layout(ir: ModuleIR): (number | string)[] {
  return ir.sections.map((s) => s.id === 0 ? s.name : s.id);
}

/** The `nth` section with id `id`. */
function section<I extends Section["id"]>(ir: ModuleIR, id: I, nth = 0) {
  return ir.sections.filter((s) => s.id === id)[nth] as Extract<Section, { id: I }>;
}

/** The module name and function names of a module's name section, read independently. */
function names(ir: ModuleIR): { module?: string; funcs: [number, string][] } {
  const out: { module?: string; funcs: [number, string][] } = { funcs: [] };
  const s = ir.sections.find((x) => x.id === 0 && x.name === "name");
  if (s === undefined || s.id !== 0) return out;
  const r = new Reader(s.data);
  while (r.pos < r.end) {
    const id = r.u8();
    const end = r.length() + r.pos;
    if (id === 0) out.module = r.name();
    if (id === 1) {
      for (let n = r.u32(); n > 0; n--) out.funcs.push([r.u32(), r.name()]);
    }
    assertEquals(r.pos, end, `subsection ${id} is read whole`);
  }
  return out;
}

function raw(ir: ModuleIR, id: 9 | 10 | 11 | 12): Uint8Array {
  return section(ir, id).data;
}

/** The code section's function bodies, as byte arrays. */
function bodies(ir: ModuleIR): number[][] {
  const r = new Reader(raw(ir, 10));
  const out: number[][] = [];
  for (let n = r.u32(); n > 0; n--) {
    const size = r.u32();
    out.push([...r.view(size)]);
  }
  return out;
}

async function assertWatError(text: string, reason: string, line: number, column: number) {
  const e = await assertRejects(() => parseWat(text, { filename: "t.wat" }), WatError);
  assertEquals([e.reason, e.file, e.line, e.column], [reason, "t.wat", line, column], e.message);
}

/** Removes every annotation from `text` (none of the texts here hold `(@` in a string). */
function withoutAnnotations(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    if (text.startsWith("(@", i)) {
      let depth = 0;
      for (; i < text.length; i++) {
        if (text[i] === "(") depth++;
        if (text[i] === ")" && --depth === 0) break;
      }
      out += " ";
    } else {
      out += text[i];
    }
  }
  return out;
}

// ---- annotations -------------------------------------------------------------

Deno.test("annotations: the reader takes them out of their lists and keeps them aside", () => {
  const [module] = readSExprs(`((@a) module (@b x (y) ")" "(" (@c)) $m
    (func (@d) $f (@name "f") (param i32))
    (@e , ; ] [ }} }x{ ({) ,{{};}] ;) (@f (;c;) ;; comment )
    ))`) as SList[];
  assertEquals(module.items.map((e) => e.type === "atom" ? e.text : "list"), [
    "module",
    "$m",
    "list",
  ]);
  const heads = (l: SList) => (l.annotations ?? []).map((a) => (a.items[0] as SAtom).text);
  assertEquals(heads(module), ["@a", "@b", "@e", "@f"]);
  // What an annotation holds stays as it was written, nested annotations included.
  const b = module.annotations![1];
  assertEquals(b.items.length, 6);
  assertEquals((b.items[5] as SList).items.map((e) => (e as SAtom).text), ["@c"]);
  const func = module.items[2] as SList;
  assertEquals(func.items.length, 3);
  assertEquals(heads(func), ["@d", "@name"]);
  // Top-level annotations are dropped; a space after ( makes no annotation.
  assertEquals(readSExprs("(@a) (module) (@b)").length, 1);
  assertEquals(((readSExprs("( @a)")[0] as SList).items[0] as SAtom).text, "@a");
  // The annotations proposal's own test module reads.
  const [spec] = readSExprs(`(module
  (@a) (@aas-3!@$d-@#4) (@@) (@$) (@+) (@0) (@.) (@!$@#$23414@#$)
  (@a x y z) (@a x-y $yz "aa" -2 0.3 0x3) (@a x-y$yz"aa"-2) (@a block func module i32.add)
  (@a 0x 8q 0xfa #4g0-.@f#^&@#$*0sf -- @#)
  (@a (bla) () (5-g) ("aa" a) ($x) (bla bla) (x (y)) ")" "(" x")"y)
  (@a @ @x (@x) (@x y) (@) (@ x) (@(@(@(@)))))
  (@a (;bla;) (; ) ;)
    ;; bla)
    ;; bla (@x
  ))`) as SList[];
  assertEquals([spec.items.length, spec.annotations!.length], [1, 16]);
});

Deno.test("annotations: malformed ids and unclosed ones are errors; , ; [ ] { } only inside", () => {
  const cases: [string, string, number, number][] = [
    ["(@)", "malformed annotation id: expected (@id …)", 1, 2],
    ["(module\n  (@ x))", "malformed annotation id: expected (@id …)", 2, 4],
    ["(@(@a)x)", "malformed annotation id: expected (@id …)", 1, 2],
    ["(module (@x (y (z))", "unclosed annotation: missing )", 1, 9],
    ["(module (@x (@y )", "unclosed annotation: missing )", 1, 9],
    ["(@x))", "unexpected ): no matching (", 1, 5],
    ['(@x "', "unterminated string", 1, 5],
    ["(@a \u0001)", "unexpected character U+0001", 1, 5],
    ["(module (@a x) [)", 'unexpected character "["', 1, 16],
  ];
  for (const [src, reason, line, column] of cases) {
    const e = assertThrows(() => readSExprs(src, "a.wat"), WatError);
    assertEquals([e.reason, e.line, e.column], [reason, line, column], src);
  }
});

Deno.test("annotations anywhere change nothing in the binary", async () => {
  const texts = [
    // Module fields, types (a named func in an instance type), imports.
    `(module (@a) (type (@t) (instance (export "c" (func (@name "bar"))) (@x)))
      ((@a) import (@a) "m" (@a) (module (@a) $M (@a) (import "x" (@a) (func (@a))) (@a)
        (export "y" (global (@a) i32)))) (@a))`,
    // Instances, instantiate arguments, aliases and their inverted forms, exports.
    `(module $P (@a "(" ")")
      (import "f" (func $f (@a) (param i32)))
      (module $c (@a) (import "f" (func (param i32))) (func (export "g") (@a)))
      (instance $i (@a) (export "i") (instantiate (@a) $c (@a) (import (@a) "f" (func (@a) $f))))
      (alias (@a) $i (@a) "g" (@a) (func (@a) $g (@a)))
      (func $g2 (@a) (alias (@a) $i "g"))
      (module (@a) (alias (@a) outer (@a) $P (@a) $c (@a) (module (@a))))
      (export (@a) "g" (@a) (func (@a) $i (@a) "g" (@a)))
      (export "c" (module $c (@a))))`,
    // Core code, with sugar and annotations inside it, nested and in clauses.
    `(module
      (module $m (func (export "f") (param i32) (result i32) local.get 0)
        (table (export "t") 1 funcref) (memory (export "mem") 1))
      (instance $i (instantiate $m))
      (func $run (@a (@b (@c))) (export "run") (@a) (param (@a) i32) (result i32)
        ((@a) call (@a) (func (@a) $i (@a) "f" (@a)) ((@a) local.get (@a) 0 (@a)) (@a)))
      (elem (table (@a) $i "t") (@a) (i32.const 0) func $run (func $i "f" (@a)))
      (data (memory $i "mem" (@x)) (i32.const 0) "x" (@a) "y"))`,
    // A plain core module: wabt's alone.
    `((@a) module (@a) $m (@a)
      ((@a) import (@a) "spectest" (@a) "print_i32" ((@a) func (@a) $p (@a) ((@a) param i32)))
      ((@a) global (@a) $g (@a) ((@a) export (@a) "g" (@a)) (@a) i32 (@a) ((@a) i32.const (@a) 42))
      ((@a) func (@a) $f ((@a) export "f") ((@a) param (@a) $x (@a) i32 (@a)) ((@a) local (@a) i32)
        ((@a) block (@a) ((@a) result (@a) i32 (@a)) ((@a) i32.add (@a)
          ((@a) local.get (@a) $x (@a)) ((@a) local.get (@a) 1 (@a)))) drop)
      ((@a) elem (@a) ((@a) offset ((@a) i32.const 0)) (@a)) (table 1 funcref)
      ((@a) start (@a) $f2 (@a)) (func $f2))`,
  ];
  for (const text of texts) {
    const plain = withoutAnnotations(text);
    assert(!plain.includes("(@"), plain);
    assertEquals(await parseWat(text), await parseWat(plain), text);
  }
});

Deno.test("annotations: core code errors still point at the original line and column", async () => {
  await assertWatError(
    `(module (module $m (func (export "f")))\n  (instance $i (instantiate $m))\n` +
      `  (func (@a "x"\n y) call (func $i "f" (@b)) (@c\n) i32.bogus))`,
    "unexpected token i32.bogus, expected ).",
    5,
    3,
  );
  await assertWatError(`(func (@a\n\n) local.get $x)`, 'undefined local variable "$x"', 3, 13);
});

Deno.test("@name: the module's name, taking the place of its identifier", async () => {
  const ir = await lower(`(module $id (@name "top level")
    (module $a (@name "é") (func (export "f")))
    (module $b (@other "x"))
    (module (@name "core") (func)))`);
  assertEquals(names(ir), { module: "top level", funcs: [] });
  const [a, b, core] = section(ir, 14).modules;
  assertEquals(names(a).module, "é");
  assertEquals(names(b).module, "b");
  assertEquals(names(core).module, "core");
  // A plain core module's layout is wabt's, with the name section after it.
  assertEquals(layout(core), [1, 3, 10, "name"]);
});

Deno.test("@name: functions defined, imported and aliased, in a module-linking module", async () => {
  const ir = await lower(`(module
    (import "a" "b" (func (@name "imported") (param i32)))
    (module $m (func (export "f")) (func (export "g")))
    (instance $i (instantiate $m))
    (alias $i "f" (func $f (@name "aliased")))
    (func (@name "inverted") (alias $i "g"))
    (func $local (@name "local one") call (func $i "f"))
    (func (import "c") (@name "inline import"))
    (func $other)
    (func (@name "local two")))`);
  // Funcs: 0 import, 1 alias "f", 2 alias "g", 3 inline import, 4 the alias
  // generated for the call, then the locals: 5 $local, 6 $other, 7.
  assertEquals(names(ir).funcs, [
    [0, "imported"],
    [1, "aliased"],
    [2, "inverted"],
    [3, "inline import"],
    [5, "local one"],
    [7, "local two"],
  ]);
  assertEquals(names(ir).module, undefined);
});

Deno.test("@name: functions of a plain core module, imports first", async () => {
  const ir = await lower(`(module $core
    (import "a" "b" (func (@name "x") (param i32)))
    (func (import "a" "c") (@name "y"))
    (import "a" "d" (func))
    (func $f (@name "z"))
    (func (export "g") (@name "w") (param i32)))`);
  assertEquals(names(ir), { module: "core", funcs: [[0, "x"], [1, "y"], [3, "z"], [4, "w"]] });
  // Only the name section is ours: without names the binary is wabt's.
  const plain = decode(await parseWat(`(module (func (@name "n")) (func))`));
  assertEquals(layout(plain), [1, 3, 10, "name"]);
  assertEquals(names(plain).funcs, [[0, "n"]]);
});

Deno.test("@name: errors for a malformed or repeated one where it names something", async () => {
  await assertWatError(
    `(module\n  (func (@name "a" "b")))`,
    'malformed @name annotation: expected (@name "…")',
    2,
    9,
  );
  await assertWatError(
    `(module (@name x))`,
    'malformed @name annotation: expected (@name "…")',
    1,
    9,
  );
  await assertWatError(
    `(module (import "m" (func (@name "a") (@name "b"))))`,
    "duplicate @name annotation",
    1,
    39,
  );
  await assertWatError(`(module (func (@name "\\ff")))`, "malformed UTF-8 encoding", 1, 22);
  // Where it names nothing, it is ignored like any annotation.
  await parseWat(`(module (memory (@name 1 2) 1) (type (func (@name))))`);
});

Deno.test("@name: the names reach the core module V8 compiles, and its stack traces", async () => {
  const module = await compile(`(module $top (@name "top")
    (module $m (func (export "boom") (@name "exploder") unreachable))
    (instance $i (instantiate $m))
    (func (@name "runner") (export "run") call (func $i "boom")))`);
  const { exports } = await instantiate(module);
  const e = assertThrows(() => (exports.run as () => void)(), WebAssembly.RuntimeError);
  assert(/at exploder .*\n\s*at runner /.test(e.stack ?? ""), e.stack);
});

// ---- paths through nested instances --------------------------------------------

const NESTED = `
    (module $m
      (module $x (func (export "z")) (func (export "y")))
      (instance $a (export "a") (instantiate $x))
      (module $w (instance (export "b") (instantiate (module outer $m $x))))
      (instance (export "deep") (instantiate $w)))
    (instance $i (instantiate $m))`;

Deno.test("paths: an alias of an export of an exported instance", async () => {
  const ir = await lower(`(module
  (module $m
    (module $m
      (func (export "")))
    (instance $a (export "") (instantiate $m))
  )
  (instance $i (instantiate $m))
  (alias (instance $i "") "" (func)))`);
  assertEquals(section(ir, 16).aliases, [
    { form: "instanceExport", instance: 0, kind: 6, name: "" },
    { form: "instanceExport", instance: 1, kind: 0, name: "" },
  ]);
});

Deno.test("paths: every step is one alias, shared by identical uses", async () => {
  const ir = await lower(`(module ${NESTED}
    (alias (instance $i "deep" "b") "z" (func $z))
    (func $y (alias (instance $i "deep" "b") "y"))
    (alias (instance $i) "a" (instance $a))
    (alias (instance 0 "a") "z" (func))
    (export "y" (func $i "deep" "b" "y"))
    (func (export "run") call (func $i "deep" "b" "z") call (func $i "a" "y")))`);
  assertEquals(section(ir, 16).aliases, [
    { form: "instanceExport", instance: 0, kind: 6, name: "deep" }, // instance 1
    { form: "instanceExport", instance: 1, kind: 6, name: "b" }, // instance 2
    { form: "instanceExport", instance: 2, kind: 0, name: "z" }, // $z
    { form: "instanceExport", instance: 2, kind: 0, name: "y" }, // $y
    { form: "instanceExport", instance: 0, kind: 6, name: "a" }, // $a, 3
    { form: "instanceExport", instance: 0, kind: 6, name: "a" }, // generated, 4
    { form: "instanceExport", instance: 4, kind: 0, name: "z" },
    // After the module-linking entries: the export's and core code's aliases.
    { form: "instanceExport", instance: 2, kind: 0, name: "y" },
    { form: "instanceExport", instance: 2, kind: 0, name: "z" },
    { form: "instanceExport", instance: 4, kind: 0, name: "y" },
  ]);
  assertEquals(section(ir, 7).exports, [
    { name: "y", kind: 0, index: 3 },
    { name: "run", kind: 0, index: 6 },
  ]);
  assertEquals(bodies(ir), [[0, 0x10, 4, 0x10, 5, 0x0b]]);
});

Deno.test("paths: in instantiate arguments, instantiate targets and exports", async () => {
  const ir = await lower(`(module
    (module $m
      (module $x (func (export "z")))
      (module (export "mod") (import "z" (func)))
      (instance (export "a") (instantiate $x)))
    (instance $i (instantiate $m))
    (module $c (import "i" (instance (export "z" (func)))) (import "f" (func)))
    (instance (instantiate $c (import "i" (instance $i "a")) (import "f" (func $i "a" "z"))))
    (instance (instantiate (module $i "mod") (import "z" (func $i "a" "z"))))
    (export "ia" (instance $i "a")))`);
  assertEquals(section(ir, 16, 0).aliases, [
    { form: "instanceExport", instance: 0, kind: 6, name: "a" },
    { form: "instanceExport", instance: 1, kind: 0, name: "z" },
  ]);
  assertEquals(section(ir, 15, 1).instances, [{
    form: "instantiate",
    module: 1,
    args: [{ name: "i", kind: 6, index: 1 }, { name: "f", kind: 0, index: 0 }],
  }]);
  assertEquals(section(ir, 16, 1).aliases, [
    { form: "instanceExport", instance: 0, kind: 5, name: "mod" },
  ]);
  assertEquals(section(ir, 15, 2).instances, [{
    form: "instantiate",
    module: 2,
    args: [{ name: "z", kind: 0, index: 0 }],
  }]);
  assertEquals(section(ir, 7).exports, [{ name: "ia", kind: 6, index: 1 }]);
});

Deno.test("paths: errors name the step that fails", async () => {
  await assertWatError(
    `(module ${NESTED}\n  (alias (instance $i "deep" "nope") "z" (func)))`,
    'unknown instance export "nope"',
    8,
    30,
  );
  await assertWatError(
    `(module ${NESTED}\n  (alias (instance $i "deep" "b") "nope" (func)))`,
    'unknown instance export "nope"',
    8,
    35,
  );
  await assertWatError(
    `(module (import "f" (func $f)) ${NESTED}\n  (alias (instance $f "a") "z" (func)))`,
    "$f is a func, not an instance",
    8,
    20,
  );
  await assertWatError(
    `(module ${NESTED}\n  (alias (func $i "a") "z" (func)))`,
    "expected an instance index or identifier, found (func …)",
    8,
    10,
  );
  await assertWatError(
    `(module ${NESTED}\n  (func (alias (instance $i "a" "z") "y")))`,
    'instance export "z" is a func, not an instance',
    8,
    33,
  );
});

// ---- tags ------------------------------------------------------------------------

Deno.test("tags: a plain core module with tags and exception handling is wabt's", async () => {
  const assemble = await loadCoreAssembler();
  assert(WABT_FEATURES.exceptions);
  const snippets = [
    `(module (type $ft (func (param i32))) (import "m" "e" (tag $e (param i64)))
      (tag $f (import "m" "f") (type $ft)) (memory 1) (global i32 (i32.const 0))
      (tag $t (export "t") (param i32)) (tag $u (type $ft)) (export "e" (tag $e))
      (func (param i32) try local.get 0 throw $t catch $t drop catch_all rethrow 0 end)
      (func try nop delegate 0))`,
    `(module (tag $t (param i32))
      (func (result i32) (block $h (result i32)
        (try_table (catch $t $h) (throw $t (i32.const 1))) (i32.const 0)))
      (func (block $h (result exnref) (try_table (catch_all_ref $h) (throw $t (i32.const 2)))
        unreachable) throw_ref))`,
  ];
  for (const text of snippets) assertEquals(await parseWat(text), assemble(text), text);
  // The tag section sits between the memory and the global sections.
  assertEquals(layout(decode(await parseWat(snippets[0]))), [1, 2, 3, 5, 13, 6, 7, 10]);
});

Deno.test("tags: imported, aliased and defined in a module-linking module", async () => {
  const ir = await lower(`(module
    (type $ft (func (param i32)))
    (import "e" (tag $e (param i64)))
    (tag $f (import "m" "f") (type $ft))
    (module $m (tag (export "t") (param i32)) (tag (export "u")))
    (instance $i (instantiate $m))
    (alias $i "t" (tag $t))
    (tag $u (alias $i "u"))
    (tag $own (export "own") (param f32))
    (memory 1)
    (global i32 (i32.const 0))
    (func (param i32)
      try
        local.get 0
        throw (tag $i "t")
      catch $t
        drop
      catch $own
        drop
      end
      throw $u)
    (export "t" (tag $t))
    (export "u" (tag $i "u"))
    (export "f" (tag $f)))`);
  assertEquals(layout(ir), [1, 2, 14, 15, 16, 1, 3, 5, 13, 6, 7, 10]);
  assertEquals(section(ir, 1, 0).types, [
    { form: "func", params: [I32], results: [] },
    { form: "func", params: [I64], results: [] },
  ]);
  assertEquals(section(ir, 2).imports, [
    { module: "e", field: null, desc: { kind: 4, type: 1 } },
    { module: "m", field: "f", desc: { kind: 4, type: 0 } },
  ]);
  // Tags: $e 0, $f 1, $t 2, $u 3, the aliases generated for the code's
  // (tag $i "t") 4 and for the export's (tag $i "u") 5, then $own 6.
  assertEquals(section(ir, 16).aliases, [
    { form: "instanceExport", instance: 1, kind: 4, name: "t" },
    { form: "instanceExport", instance: 1, kind: 4, name: "u" },
    { form: "instanceExport", instance: 1, kind: 4, name: "t" },
    { form: "instanceExport", instance: 1, kind: 4, name: "u" },
  ]);
  assertEquals(section(ir, 1, 1).types, [
    { form: "func", params: [], results: [] },
    { form: "func", params: [F32], results: [] },
  ]);
  assertEquals(section(ir, 13).tags, [3]);
  assertEquals(section(ir, 7).exports, [
    { name: "own", kind: 4, index: 6 },
    { name: "t", kind: 4, index: 2 },
    { name: "u", kind: 4, index: 5 },
    { name: "f", kind: 4, index: 1 },
  ]);
  assertEquals(bodies(ir), [[
    0,
    0x06, // try
    0x40,
    0x20, // local.get 0
    0,
    0x08, // throw 4: the generated alias
    4,
    0x07, // catch $t
    2,
    0x1a,
    0x07, // catch $own
    6,
    0x1a,
    0x0b,
    0x08, // throw $u
    3,
    0x0b,
  ]]);
});

Deno.test("tags: in module and instance types, and as instantiate arguments", async () => {
  const ir = await lower(`(module
    (type $I (instance (export "t" (tag (param i32))) (export "f" (func))))
    (import "lib" (module $lib
      (import "t" (tag (param i32)))
      (import "i" (instance (type $I)))
      (export "u" (tag (param i64)))))
    (import "i" (instance $i (type $I)))
    (alias $i "t" (tag $t))
    (instance $a (instantiate $lib (import "t" (tag $t)) (import "i" (instance $i))))
    (instance (instantiate $lib (import "t" (tag $i "t")) (import "i" (instance $i))))
    (alias $a "u" (tag $u)))`);
  assertEquals(section(ir, 1).types, [
    { form: "func", params: [I32], results: [] },
    { form: "func", params: [], results: [] },
    {
      form: "instance",
      exports: [{ name: "t", desc: { kind: 4, type: 0 } }, {
        name: "f",
        desc: { kind: 0, type: 1 },
      }],
    },
    { form: "func", params: [I64], results: [] },
    {
      form: "module",
      imports: [
        { module: "t", field: null, desc: { kind: 4, type: 0 } },
        { module: "i", field: null, desc: { kind: 6, type: 2 } },
      ],
      exports: [{ name: "u", desc: { kind: 4, type: 3 } }],
    },
  ]);
  const args = (
    tag: number,
  ) => [{ name: "t", kind: 4, index: tag }, { name: "i", kind: 6, index: 0 }];
  assertEquals(section(ir, 15, 0).instances, [{ form: "instantiate", module: 0, args: args(0) }]);
  assertEquals(section(ir, 16, 1).aliases, [
    { form: "instanceExport", instance: 0, kind: 4, name: "t" },
  ]);
  assertEquals(section(ir, 15, 1).instances, [{ form: "instantiate", module: 0, args: args(1) }]);
  assertEquals(section(ir, 16, 2).aliases, [
    { form: "instanceExport", instance: 1, kind: 4, name: "u" },
  ]);
});

Deno.test("tags: the example of docs/text-format.md", async () => {
  const doc = await Deno.readTextFile(new URL("../docs/text-format.md", import.meta.url));
  const example = [...doc.matchAll(/```wat\n([\s\S]*?)```/g)].map((m) => m[1])
    .find((block) => block.includes("(tag $a"));
  if (example === undefined) throw new Error("the tags example is missing");
  const ir = await lower(example);
  // Tags: $e 0, $f 1, $t 2, the alias for the code's (tag $i "t") 3, $a 4, $b 5.
  assertEquals(section(ir, 13).tags, [0, 0]);
  assertEquals(section(ir, 7).exports, [{ name: "b", kind: 4, index: 5 }, {
    name: "t",
    kind: 4,
    index: 2,
  }]);
});

Deno.test("tags: errors name tags like any kind", async () => {
  await assertWatError(
    `(module (import "i" (instance $i (export "f" (func))))\n  (alias $i "f" (tag)))`,
    'instance export "f" is a func, not a tag',
    2,
    13,
  );
  await assertWatError(
    `(module (tag $t) (import "m" (tag $t)))`,
    "duplicate tag $t",
    1,
    35,
  );
  await assertWatError(
    `(module (module $m (import "t" (tag))) (instance (instantiate $m (import "t" (tag outer 0 0)))))`,
    "outer aliases can only name modules and types, not a tag",
    1,
    83,
  );
  await assertWatError(
    `(module (import "i" (instance)) (export "x" (event 0)))`,
    "expected an export kind (func, table, memory, global, tag, module or instance), found event",
    1,
    45,
  );
  await assertWatError(
    `(module (import "i" (instance $i (export "t" (tag))))\n  (func throw $nope))`,
    'undefined tag variable "$nope"',
    2,
    15,
  );
});

// ---- instances made of exports ---------------------------------------------------

Deno.test("instances of exports: items of every kind, by identifier, number and path", async () => {
  const ir = await lower(`(module
    (import "f" (func $f))
    (import "m" (memory $m 1))
    (import "g" (global $g i32))
    (import "t" (table $t 1 funcref))
    (import "e" (tag $e))
    (module $mod (func (export "x")))
    (instance $j (instantiate $mod))
    (instance $i (export "i1") (export "i2")
      (export "f" (func $f))
      (export "m" (memory $m))
      (export "g" (global 0))
      (export "t" (table $t))
      (export "e" (tag $e))
      (export "mod" (module $mod))
      (export "i" (instance $j))
      (export "x" (func $j "x")))
    (instance $none)
    (alias $i "x" (func $x))
    (alias $i "i" (instance $k))
    (export "none" (instance $none)))`);
  assertEquals(layout(ir), [1, 2, 14, 15, 16, 15, 16, 7]);
  assertEquals(section(ir, 16, 0).aliases, [
    { form: "instanceExport", instance: 0, kind: 0, name: "x" },
  ]);
  assertEquals(section(ir, 15, 1).instances, [
    {
      form: "exports",
      exports: [
        { name: "f", kind: 0, index: 0 },
        { name: "m", kind: 2, index: 0 },
        { name: "g", kind: 3, index: 0 },
        { name: "t", kind: 1, index: 0 },
        { name: "e", kind: 4, index: 0 },
        { name: "mod", kind: 5, index: 0 },
        { name: "i", kind: 6, index: 0 },
        { name: "x", kind: 0, index: 1 },
      ],
    },
    { form: "exports", exports: [] },
  ]);
  // The instance's type is its items': aliases out of it are checked.
  assertEquals(section(ir, 16, 1).aliases, [
    { form: "instanceExport", instance: 1, kind: 0, name: "x" },
    { form: "instanceExport", instance: 1, kind: 6, name: "i" },
  ]);
  assertEquals(section(ir, 7).exports, [
    { name: "i1", kind: 6, index: 1 },
    { name: "i2", kind: 6, index: 1 },
    { name: "none", kind: 6, index: 2 },
  ]);
});

Deno.test("instances of exports: exported, their type reaches the parent", async () => {
  const ir = await lower(`(module
    (module $child
      (import "f" (func $f (param i32)))
      (instance $b (export "f" (func $f)))
      (export "b" (instance $b)))
    (import "f" (func $f (param i32)))
    (instance $c (instantiate $child (import "f" (func $f))))
    (func (param i32) local.get 0 call (func $c "b" "f")))`);
  assertEquals(section(ir, 16).aliases, [
    { form: "instanceExport", instance: 0, kind: 6, name: "b" },
    { form: "instanceExport", instance: 1, kind: 0, name: "f" },
  ]);
  const child = section(ir, 14).modules[0];
  assertEquals(section(child, 15).instances, [{
    form: "exports",
    exports: [{ name: "f", kind: 0, index: 0 }],
  }]);
});

Deno.test("instances of exports: local definitions and duplicates are the validator's", async () => {
  const ir = await lower(`(module
    (import "f" (func $f))
    (func $local)
    (instance $i (export "a" (func $local)) (export "a" (func $f)))
    (export "i" (instance $i)))`);
  // The local function keeps its final index (1), the duplicate name is kept.
  assertEquals(section(ir, 15).instances, [{
    form: "exports",
    exports: [{ name: "a", kind: 0, index: 1 }, { name: "a", kind: 0, index: 0 }],
  }]);
});

Deno.test("instances of exports: errors", async () => {
  await assertWatError(
    `(module (import "f" (func $f))\n  (instance $i (export "f" (func $f)) (instantiate 0)))`,
    'expected (export "name" (kind …)), found (instantiate …)',
    2,
    39,
  );
  await assertWatError(
    `(module (instance $i (foo)))`,
    'expected (instantiate …), (export "name" (kind …)), (import …) or (alias …), found (foo …)',
    1,
    22,
  );
  await assertWatError(
    `(module (import "f" (func $f)) (instance $i (export "f" (func $f)))\n  (alias $i "g" (func)))`,
    'unknown instance export "g"',
    2,
    13,
  );
  await assertWatError(
    `(module (instance (export "f" (func $nope))))`,
    "unknown func $nope",
    1,
    37,
  );
  await assertWatError(
    `(module (instance (export "f" (event 0))))`,
    "expected an export kind (func, table, memory, global, tag, module or instance), found event",
    1,
    31,
  );
  await assertWatError(
    `(module (instance (export "f")  (export 0 (func 0))))`,
    "expected an export name, found 0",
    1,
    41,
  );
});
