/**
 * The text front-end: lexer, s-expression reader, module-linking resolver
 * and the wabt bridge, checked on the decoded IR of what it produces.
 */

import { assert, assertEquals, assertInstanceOf, assertRejects, assertThrows } from "@std/assert";
import { decode, encode } from "../lib/binary/mod.ts";
import { WatError } from "../lib/errors.ts";
import type { ModuleIR, Section } from "../lib/ir.ts";
import { Lexer } from "../lib/text/lexer.ts";
import { WABT_FEATURES } from "../lib/text/wabt.ts";
import {
  parseWat,
  readSExprs,
  type SAtom,
  type SList,
  SourceFile,
  stringValue,
} from "../lib/text/mod.ts";

const SHARED = new URL("../../shared/", import.meta.url);
const I32 = 0x7f, I64 = 0x7e, F32 = 0x7d, F64 = 0x7c, FUNCREF = 0x70;

/** Parses and decodes, dropping offsets so IR compares structurally. */
async function lower(text: string): Promise<ModuleIR> {
  return strip(decode(await parseWat(text)));
}

function strip(ir: ModuleIR): ModuleIR {
  return {
    sections: ir.sections.map((s) => {
      const { offset: _, ...rest } = s;
      if (rest.id === 14) return { ...rest, modules: rest.modules.map(strip) };
      if (rest.id === 1) {
        const types = rest.types.map(({ offset: _o, ...t }) =>
          t.form === "module" ? { ...t, imports: t.imports.map(({ offset: _i, ...i }) => i) } : t
        );
        return { ...rest, types };
      }
      if (rest.id === 2) return { ...rest, imports: rest.imports.map(({ offset: _o, ...i }) => i) };
      if (rest.id === 7) return { ...rest, exports: rest.exports.map(({ offset: _o, ...e }) => e) };
      if (rest.id === 15) {
        return {
          ...rest,
          instances: rest.instances.map(({ offset: _o, ...i }) => i),
        };
      }
      if (rest.id === 16) {
        return {
          ...rest,
          aliases: rest.aliases.map(({ offset: _o, ...a }) => a),
        };
      }
      return rest as Section;
    }),
  };
}

/** Section ids in order, custom sections as their name. */
function layout(ir: ModuleIR): (number | string)[] {
  return ir.sections.map((s) => s.id === 0 ? s.name : s.id);
}

function section<I extends Section["id"]>(
  ir: ModuleIR,
  id: I,
  nth = 0,
): Extract<Section, { id: I }> {
  const found = ir.sections.filter((s) => s.id === id);
  assert(found[nth] !== undefined, `no section ${id} #${nth} in ${layout(ir)}`);
  return found[nth] as Extract<Section, { id: I }>;
}

function raw(ir: ModuleIR, id: 9 | 10 | 11 | 12): number[] {
  return [...section(ir, id).data];
}

/** The module name recorded in a module's name section. */
function moduleName(ir: ModuleIR): string | undefined {
  const s = ir.sections.find((x) => x.id === 0 && x.name === "name");
  if (s === undefined || s.id !== 0) return undefined;
  assertEquals(s.data[0], 0, "module-name subsection");
  return new TextDecoder().decode(s.data.subarray(3, 3 + s.data[2]));
}

async function assertWatError(text: string, reason: string | RegExp, line: number, column: number) {
  const e = await assertRejects(() => parseWat(text, { filename: "t.wat" }), WatError);
  if (typeof reason === "string") assertEquals(e.reason, reason);
  else assert(reason.test(e.reason), `unexpected message: ${e.reason}`);
  assertEquals([e.file, e.line, e.column], ["t.wat", line, column], e.message);
}

// ---- lexer and s-expressions ---------------------------------------------

Deno.test("lexer: token kinds and offsets", () => {
  const src = `(func $f-1 "a" 0x1F -1.5e3 nan:0x1 inf a=b 1x "s"x $) ;; c\n(; (; nested ;) ;)`;
  const lexer = new Lexer(new SourceFile(src, "x.wat"));
  const tokens: [string, string][] = [];
  for (let k = lexer.next(); k !== null; k = lexer.next()) {
    tokens.push([k, src.slice(lexer.start, lexer.end)]);
  }
  assertEquals(tokens, [
    ["(", "("],
    ["keyword", "func"],
    ["id", "$f-1"],
    ["string", '"a"'],
    ["number", "0x1F"],
    ["number", "-1.5e3"],
    ["number", "nan:0x1"],
    ["number", "inf"],
    ["keyword", "a=b"],
    ["reserved", "1x"],
    ["reserved", '"s"x'],
    ["reserved", "$"],
    [")", ")"],
  ]);
});

Deno.test("lexer: string escapes decode to bytes", () => {
  const [atom] = readSExprs(String.raw`"\t\n\r\"\'\\\00\ff\u{48}\u{e9}\u{1F600}é"`) as SAtom[];
  assertEquals(atom.kind, "string");
  assertEquals([...atom.bytes!], [
    9,
    10,
    13,
    34,
    39,
    92,
    0,
    0xff,
    0x48,
    0xc3,
    0xa9,
    0xf0,
    0x9f,
    0x98,
    0x80,
    0xc3,
    0xa9,
  ]);
});

Deno.test("lexer: errors carry file:line:col and the line", () => {
  const cases: [string, string, number, number][] = [
    ['(module\n  "abc', "unterminated string", 2, 3],
    ['(module "a\\q")', 'malformed escape sequence "\\q" in string', 1, 11],
    ['"\\u{d800}"', "malformed escape: surrogate code point", 1, 2],
    ["(module (; never closed", "unterminated block comment", 1, 9],
    ["(module\n  [x])", 'unexpected character "["', 2, 3],
    ['"a\tb"', "illegal control character U+0009 in string", 1, 3],
  ];
  for (const [src, reason, line, column] of cases) {
    const e = assertThrows(() => readSExprs(src, "lex.wat"), WatError);
    assertEquals([e.reason, e.line, e.column], [reason, line, column], src);
    assert(e.message.startsWith(`lex.wat:${line}:${column}: `), e.message);
  }
});

Deno.test("readSExprs: nesting, offsets and unbalanced parentheses", () => {
  const src = "(a (b c) d) e";
  const forms = readSExprs(src);
  assertEquals(forms.length, 2);
  const a = forms[0] as SList;
  assertEquals([a.start, a.end, a.items.length], [0, 11, 3]);
  const b = a.items[1] as SList;
  assertEquals([b.start, b.end, (b.items[1] as SAtom).text], [3, 8, "c"]);
  assertEquals((forms[1] as SAtom).kind, "keyword");
  const open = assertThrows(() => readSExprs("(a\n (b)"), WatError);
  assertEquals([open.reason, open.line, open.column], ["unclosed (: missing )", 1, 1]);
  const close = assertThrows(() => readSExprs("(a))"), WatError);
  assertEquals([close.line, close.column], [1, 4]);
  // Deep nesting does not overflow the stack.
  assertEquals(readSExprs("(".repeat(100_000) + ")".repeat(100_000)).length, 1);
});

Deno.test("SourceFile: positions, lines and errors", () => {
  const file = new SourceFile("ab\r\ncd\n\nef", "f.wat");
  assertEquals(file.position(0), { line: 1, column: 1 });
  assertEquals(file.position(4), { line: 2, column: 1 });
  assertEquals(file.position(7), { line: 3, column: 1 });
  assertEquals(file.position(9), { line: 4, column: 2 });
  assertEquals(file.lineText(1), "ab");
  assertEquals(file.lineText(4), "ef");
  const e = file.error(5, "boom");
  assertInstanceOf(e, WatError);
  assertEquals(e.message, "f.wat:2:2: boom\n  cd\n   ^");
  // Long lines are cut, or left out when the column is far to the right.
  const long = new SourceFile("x".repeat(10_000), "l.wat");
  assertEquals(long.error(3, "near").message, `l.wat:1:4: near\n  ${"x".repeat(160)} …\n     ^`);
  assertEquals(long.error(9_000, "far").message, "l.wat:1:9001: far");
});

Deno.test("stringValue: UTF-8 names", () => {
  const text = String.raw`"caf\c3\a9" "\ff"`;
  const file = new SourceFile(text, "s.wat");
  const [ok, bad] = readSExprs(text) as SAtom[];
  assertEquals(stringValue(ok, file), "café");
  const e = assertThrows(() => stringValue(bad, file), WatError);
  assertEquals([e.reason, e.column], ["malformed UTF-8 encoding", 13]);
});

// ---- conformance ----------------------------------------------------------

/** Every `(module …)` of a script: top-level ones and those inside assertions. */
function scriptModules(text: string): SList[] {
  const out: SList[] = [];
  const isModule = (e: unknown) =>
    (e as SList).type === "list" && ((e as SList).items[0] as SAtom)?.text === "module";
  for (const form of readSExprs(text)) {
    if (isModule(form)) out.push(form as SList);
    else if (form.type === "list") {
      const inner = form.items.find(isModule);
      if (inner !== undefined) out.push(inner as SList);
    }
  }
  return out;
}

function sharedFile(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(new URL(path, SHARED));
  } catch {
    console.log(`%cskipped: ../shared/${path} is not there`, "color: yellow");
    return undefined;
  }
}

Deno.test("conformance: every module of the module-linking scripts parses and round-trips", async () => {
  let dir: Deno.DirEntry[];
  try {
    dir = [...Deno.readDirSync(new URL("conformance/module-linking/", SHARED))];
  } catch {
    console.log("%cskipped: ../shared/conformance is not there", "color: yellow");
    return;
  }
  const names = dir.map((e) => e.name).filter((n) => n.endsWith(".wast")).sort();
  assertEquals(names.length >= 4, true);
  let count = 0;
  for (const name of names) {
    const text = sharedFile(`conformance/module-linking/${name}`)!;
    for (const module of scriptModules(text)) {
      const bin = await parseWat(text, { filename: name, module });
      assertEquals(encode(decode(bin)), bin, `${name} at offset ${module.start}`);
      count++;
    }
  }
  assert(count > 100, `only ${count} modules found`);
});

Deno.test("conformance: the example of MODULE-LINKING.md's text section", async () => {
  const doc = sharedFile("MODULE-LINKING.md");
  if (doc === undefined) return;
  const blocks = [...doc.matchAll(/```wat\n([\s\S]*?)```/g)].map((m) => m[1]);
  assertEquals(blocks.length, 1);
  // The example shows an outer alias at the top level of $P, marked "only
  // inside nested modules": there it is an error, so it is checked as one and
  // then moved into a nested module.
  const outerLine = blocks[0].split("\n").findIndex((l) => l.includes("(alias outer $P $I"));
  assert(outerLine >= 0);
  const e = await assertRejects(() => parseWat(blocks[0]), WatError);
  assertEquals(
    e.reason,
    "$P is this module itself; outer aliases name enclosing modules, and a top-level module has none",
  );
  assertEquals(e.line, outerLine + 1);
  const text = blocks[0].replace(
    "(alias outer $P $I (type $I2))",
    "(module (alias outer $P $I (type $I2)))",
  );
  const bin = await parseWat(text);
  assertEquals(encode(decode(bin)), bin);
  // Instances: $i (import), "a" (implicit), $c, $m. Modules: $M (import), $child, the one added.
  const ir = strip(decode(bin));
  assertEquals(section(ir, 15).instances, [
    { form: "instantiate", module: 1, args: [] },
    { form: "instantiate", module: 0, args: [{ name: "in", kind: 0, index: 0 }] },
  ]);
  assertEquals(section(ir, 16, 0).aliases, [
    { form: "instanceExport", instance: 2, kind: 0, name: "hi" },
    { form: "instanceExport", instance: 2, kind: 0, name: "hi" },
  ]);
  // The alias made for the function body comes after every module-linking section.
  assertEquals(section(ir, 16, 1).aliases, [{
    form: "instanceExport",
    instance: 3,
    kind: 0,
    name: "out",
  }]);
  assertEquals(layout(ir).slice(-7), [16, 14, 16, 3, 7, 10, "name"]);
  // Funcs: $ab, $hi, $hi2, the generated alias of $m "out", then "run".
  assertEquals(section(ir, 7).exports, [
    { name: "run", kind: 0, index: 4 },
    { name: "child", kind: 5, index: 1 },
    { name: "c", kind: 6, index: 2 },
  ]);
  const nested = section(ir, 14, 1).modules[0];
  assertEquals(section(nested, 16).aliases, [{ form: "outerType", depth: 0, index: 1 }]);
  assertEquals(moduleName(ir), "P");
});

// ---- module-linking syntax ------------------------------------------------

Deno.test("nested modules, instances, inline and explicit exports, name sections", async () => {
  const ir = await lower(`(module $P
    (module $a (func (export "f")))
    (module $b)
    (instance $x (instantiate $b))
    (instance $y (export "y") (instantiate $a))
    (export "a" (module $a))
    (export "x" (instance $x)))`);
  assertEquals(layout(ir), [14, 15, 7, "name"]);
  const [a, b] = section(ir, 14).modules;
  assertEquals(moduleName(a), "a");
  assertEquals(moduleName(b), "b");
  assertEquals(layout(b), ["name"]);
  assertEquals(layout(a), [1, 3, 7, 10, "name"]);
  assertEquals(section(ir, 15).instances, [{ form: "instantiate", module: 1, args: [] }, {
    form: "instantiate",
    module: 0,
    args: [],
  }]);
  assertEquals(section(ir, 7).exports, [
    { name: "y", kind: 6, index: 1 },
    { name: "a", kind: 5, index: 0 },
    { name: "x", kind: 6, index: 0 },
  ]);
  assertEquals(moduleName(ir), "P");
});

Deno.test("type fields: func, instance and module types; inline types come first", async () => {
  const ir = await lower(`(module
    (type $f (func (param i32) (result i64)))
    (type $I (instance (export "g" (func (param i32) (result i64))) (export "h" (func (param f32)))))
    (type $M (module (import "a" (func)) (import "x" "y" (global i32)) (export "i" (instance (type $I)))))
    (import "m" (module (type $M))))`);
  assertEquals(layout(ir), [1, 2]);
  assertEquals(section(ir, 1).types, [
    { form: "func", params: [I32], results: [I64] },
    { form: "func", params: [F32], results: [] }, // generated for "h", before $I
    {
      form: "instance",
      exports: [{ name: "g", desc: { kind: 0, type: 0 } }, {
        name: "h",
        desc: { kind: 0, type: 1 },
      }],
    },
    { form: "func", params: [], results: [] }, // generated for "a", before $M
    {
      form: "module",
      imports: [
        { module: "a", field: null, desc: { kind: 0, type: 3 } },
        { module: "x", field: "y", desc: { kind: 3, type: { type: I32, mutable: false } } },
      ],
      exports: [{ name: "i", desc: { kind: 6, type: 2 } }],
    },
  ]);
  assertEquals(section(ir, 2).imports, [{ module: "m", field: null, desc: { kind: 5, type: 4 } }]);
});

Deno.test("imports: inline types are hoisted before the run; implicit instances per section", async () => {
  const ir = await lower(`(module
    (type (func))
    (import "a" "f" (func (param i32)))
    (import "a" "g" (func))
    (import "b" (instance (export "h" (func (param i64)))))
    (type (func (param f64)))
    (import "a" "k" (func (type 4)))
    (alias 0 "f" (func $f))
    (alias 2 "k" (func $k)))`);
  // One import section for the first run: its generated types joined the type section.
  assertEquals(layout(ir), [1, 2, 1, 2, 16]);
  assertEquals(section(ir, 1, 0).types, [
    { form: "func", params: [], results: [] },
    { form: "func", params: [I32], results: [] },
    { form: "func", params: [I64], results: [] },
    { form: "instance", exports: [{ name: "h", desc: { kind: 0, type: 2 } }] },
  ]);
  assertEquals(section(ir, 2, 0).imports, [
    { module: "a", field: "f", desc: { kind: 0, type: 1 } },
    { module: "a", field: "g", desc: { kind: 0, type: 0 } },
    { module: "b", field: null, desc: { kind: 6, type: 3 } },
  ]);
  assertEquals(section(ir, 1, 1).types, [{ form: "func", params: [F64], results: [] }]);
  assertEquals(section(ir, 2, 1).imports, [{
    module: "a",
    field: "k",
    desc: { kind: 0, type: 4 },
  }]);
  // Instances: implicit "a" = 0, "b" = 1, the second section's implicit "a" = 2.
  assertEquals(section(ir, 16).aliases, [
    { form: "instanceExport", instance: 0, kind: 0, name: "f" },
    { form: "instanceExport", instance: 2, kind: 0, name: "k" },
  ]);
  // The first implicit "a" has no "k": that is known statically.
  await assertWatError(
    `(module (import "a" "f" (func)) (type (func)) (import "a" "k" (func)) (alias 0 "k" (func)))`,
    'unknown instance export "k"',
    1,
    80,
  );
});

Deno.test("imports: single-level, inline imports on every kind, inline exports", async () => {
  const ir = await lower(`(module
    (func $f (export "ef") (import "f") (param i32))
    (global $g (import "g") (mut i32))
    (memory (import "a" "m") 1 2)
    (table (import "t") 1 funcref)
    (module $M (import "mod") (export "out" (func)))
    (instance $I (export "ei") (import "inst") (export "x" (global i32)))
    (import "h" (func $h (export "eh"))))`);
  assertEquals(layout(ir), [1, 2, 7]);
  assertEquals(section(ir, 1).types, [
    { form: "func", params: [I32], results: [] },
    { form: "func", params: [], results: [] },
    { form: "module", imports: [], exports: [{ name: "out", desc: { kind: 0, type: 1 } }] },
    {
      form: "instance",
      exports: [{ name: "x", desc: { kind: 3, type: { type: I32, mutable: false } } }],
    },
  ]);
  assertEquals(section(ir, 2).imports, [
    { module: "f", field: null, desc: { kind: 0, type: 0 } },
    { module: "g", field: null, desc: { kind: 3, type: { type: I32, mutable: true } } },
    {
      module: "a",
      field: "m",
      desc: { kind: 2, type: { limits: { min: 1, max: 2 }, shared: false, memory64: false } },
    },
    { module: "t", field: null, desc: { kind: 1, type: { elem: FUNCREF, limits: { min: 1 } } } },
    { module: "mod", field: null, desc: { kind: 5, type: 2 } },
    { module: "inst", field: null, desc: { kind: 6, type: 3 } },
    { module: "h", field: null, desc: { kind: 0, type: 1 } },
  ]);
  // Instance $I is 1: the two-level memory import made the implicit instance "a" = 0.
  assertEquals(section(ir, 7).exports, [
    { name: "ef", kind: 0, index: 0 },
    { name: "ei", kind: 6, index: 1 },
    { name: "eh", kind: 0, index: 1 },
  ]);
});

Deno.test("aliases: export and outer forms, inverted forms, depths by number and name", async () => {
  const ir = await lower(`(module $P
    (type $t (func (param i32)))
    (module $c (func (export "f") (param i32)) (global (export "g") i32 (i32.const 1)))
    (instance $i (instantiate $c))
    (alias $i "f" (func $f))
    (alias 0 "g" (global $g (export "g2")))
    (func $f2 (export "f2") (alias $i "f"))
    (module $n
      (alias outer $P $t (type $t2))
      (alias outer 0 $c (module $c2))
      (type $t3 (alias outer $P 0))
      (module (alias outer $P $c (module)) (alias outer $n $t2 (type)))))`);
  assertEquals(layout(ir), [1, 14, 15, 16, 14, 7, "name"]);
  assertEquals(section(ir, 16).aliases, [
    { form: "instanceExport", instance: 0, kind: 0, name: "f" },
    { form: "instanceExport", instance: 0, kind: 3, name: "g" },
    { form: "instanceExport", instance: 0, kind: 0, name: "f" },
  ]);
  assertEquals(section(ir, 7).exports, [{ name: "g2", kind: 3, index: 0 }, {
    name: "f2",
    kind: 0,
    index: 1,
  }]);
  const n = section(ir, 14, 1).modules[0];
  assertEquals(section(n, 16).aliases, [
    { form: "outerType", depth: 0, index: 0 },
    { form: "outerModule", depth: 0, index: 0 },
    { form: "outerType", depth: 0, index: 0 },
  ]);
  const inner = section(n, 14).modules[0];
  assertEquals(section(inner, 16).aliases, [
    { form: "outerModule", depth: 1, index: 0 },
    { form: "outerType", depth: 0, index: 0 },
  ]);
});

Deno.test("instantiate: arguments of every kind, numeric forms", async () => {
  const ir = await lower(`(module
    (import "f" (func $f))
    (import "g" (global $g i32))
    (import "m" (memory $m 1))
    (import "t" (table $t 1 funcref))
    (module $M
      (import "f" (func)) (import "g" (global i32)) (import "m" (memory 1))
      (import "t" (table 1 funcref)) (import "mod" (module)) (import "inst" (instance)))
    (module $E)
    (instance $e (instantiate $E))
    (instance (instantiate $M (import "f" (func $f)) (import "g" (global 0)) (import "m" (memory $m))
      (import "t" (table $t)) (import "mod" (module $E)) (import "inst" (instance $e))))
    (instance (instantiate 1)))`);
  assertEquals(section(ir, 15).instances, [
    { form: "instantiate", module: 1, args: [] },
    {
      form: "instantiate",
      module: 0,
      args: [
        { name: "f", kind: 0, index: 0 },
        { name: "g", kind: 3, index: 0 },
        { name: "m", kind: 2, index: 0 },
        { name: "t", kind: 1, index: 0 },
        { name: "mod", kind: 5, index: 1 },
        { name: "inst", kind: 6, index: 0 },
      ],
    },
    { form: "instantiate", module: 1, args: [] },
  ]);
});

Deno.test("instantiate: sugar and outer operands get aliases right before, shared when identical", async () => {
  const ir = await lower(`(module
    (module $a
      (module (export "m") (import "x" (func)))
      (func (export "f")))
    (instance $i (instantiate $a))
    (instance $j (instantiate (module $i "m") (import "x" (func $i "f"))))
    (module $o)
    (module $p (instance (instantiate (module outer 0 $o))))
    (instance $k (instantiate (module $i "m") (import "x" (func $i "f")))))`);
  assertEquals(layout(ir), [14, 15, 16, 15, 14, 15]);
  assertEquals(section(ir, 16).aliases, [
    { form: "instanceExport", instance: 0, kind: 5, name: "m" },
    { form: "instanceExport", instance: 0, kind: 0, name: "f" },
  ]);
  const arg = [{ name: "x", kind: 0, index: 0 }];
  assertEquals(section(ir, 15, 1).instances, [{ form: "instantiate", module: 1, args: arg }]);
  assertEquals(section(ir, 15, 2).instances, [{ form: "instantiate", module: 1, args: arg }]);
  // Modules: $a 0, the alias of "m" 1, $o 2, $p 3.
  const p = section(ir, 14, 1).modules[1];
  assertEquals(layout(p), [16, 15, "name"]);
  assertEquals(section(p, 16).aliases, [{ form: "outerModule", depth: 0, index: 2 }]);
  assertEquals(section(p, 15).instances, [{ form: "instantiate", module: 0, args: [] }]);
});

Deno.test("inline alias sugar in core code: one alias section after the module-linking ones", async () => {
  const ir = await lower(`(module
    (module $m
      (func (export "f") (param i32) (result i32) local.get 0)
      (global (export "g") (mut i32) (i32.const 7))
      (memory (export "mem") 1)
      (table (export "tab") 1 funcref))
    (instance $i (instantiate $m))
    (import "h" (func $h))
    (func $run (export "run") (result i32)
      (call (func $i "f") (global.get (global $i "g")))
      call (func $i "f")
      drop
      i32.const 0
      i32.load (memory $i "mem")
      drop
      i32.const 0
      call_indirect (table $i "tab") (result i32))
    (elem (table $i "tab") (i32.const 0) func $run (func $i "f"))
    (data (memory $i "mem") (i32.const 0) "x")
    (start $h)
    (export "g" (global $i "g")))`);
  assertEquals(layout(ir), [14, 15, 1, 2, 16, 1, 3, 7, 8, 9, 10, 11]);
  assertEquals(section(ir, 16).aliases, [
    { form: "instanceExport", instance: 0, kind: 0, name: "f" },
    { form: "instanceExport", instance: 0, kind: 3, name: "g" },
    { form: "instanceExport", instance: 0, kind: 2, name: "mem" },
    { form: "instanceExport", instance: 0, kind: 1, name: "tab" },
  ]);
  // funcs: $h 0, alias "f" 1, $run 2. wabt added (i32)->i32 (the alias's
  // signature, declared inline in its header) and ()->i32.
  assertEquals(section(ir, 1, 1).types, [
    { form: "func", params: [I32], results: [I32] },
    { form: "func", params: [], results: [I32] },
  ]);
  assertEquals(section(ir, 3).funcs, [2]);
  assertEquals(section(ir, 7).exports, [{ name: "run", kind: 0, index: 2 }, {
    name: "g",
    kind: 3,
    index: 0,
  }]);
  assertEquals(section(ir, 8).func, 0);
  const body = [
    0, // no locals
    0x23,
    0, // global.get 0 ("g")
    0x10,
    1, // call 1 ("f")
    0x10,
    1, // call 1
    0x1a, // drop
    0x41,
    0, // i32.const 0
    0x28,
    2,
    0, // i32.load (memory 0)
    0x1a,
    0x41,
    0,
    0x11,
    2,
    0, // call_indirect (type 2) (table 0)
    0x0b,
  ];
  assertEquals(raw(ir, 10), [1, body.length, ...body]);
  assertEquals(raw(ir, 9), [1, 0, 0x41, 0, 0x0b, 2, 2, 1]);
  assertEquals(raw(ir, 11), [1, 0, 0x41, 0, 0x0b, 1, 0x78]);
});

Deno.test("inline alias sugar: chains through nested instances, in exports too", async () => {
  const ir = await lower(`(module
    (module $m
      (module $x (func (export "z")))
      (instance (export "inner") (instantiate $x)))
    (instance $i (instantiate $m))
    (func (export "call") call (func $i "inner" "z"))
    (export "z" (func $i "inner" "z"))
    (export "inner" (instance $i "inner")))`);
  assertEquals(section(ir, 16).aliases, [
    { form: "instanceExport", instance: 0, kind: 6, name: "inner" },
    { form: "instanceExport", instance: 1, kind: 0, name: "z" },
  ]);
  assertEquals(section(ir, 7).exports, [
    { name: "call", kind: 0, index: 1 },
    { name: "z", kind: 0, index: 0 },
    { name: "inner", kind: 6, index: 1 },
  ]);
});

Deno.test("outer types in type uses: import descriptions and core functions share one alias", async () => {
  const ir = await lower(`(module $R
    (type $t (func (param i32)))
    (module $c
      (import "x" (func (type outer $R $t)))
      (func (type outer 0 $t))
      (func (type outer $R $t))))`);
  const c = section(ir, 14).modules[0];
  assertEquals(layout(c), [16, 2, 3, 10, "name"]);
  assertEquals(section(c, 16).aliases, [{ form: "outerType", depth: 0, index: 0 }]);
  assertEquals(section(c, 2).imports, [{ module: "x", field: null, desc: { kind: 0, type: 0 } }]);
  assertEquals(section(c, 3).funcs, [0, 0]);
});

Deno.test("local definitions follow every import and alias; identifiers resolve to final indices", async () => {
  const ir = await lower(`(module
    (module $m (import "f" (func)))
    (func $local)
    (import "a" (func $imp))
    (instance (instantiate $m (import "f" (func $local))))
    (export "l" (func $local))
    (export "n" (func 1)))`);
  // The argument names a local definition: kept as its final index (1); the
  // validator, not the parser, rejects it.
  assertEquals(section(ir, 15).instances, [{
    form: "instantiate",
    module: 0,
    args: [{ name: "f", kind: 0, index: 1 }],
  }]);
  assertEquals(section(ir, 7).exports, [{ name: "l", kind: 0, index: 1 }, {
    name: "n",
    kind: 0,
    index: 1,
  }]);
});

Deno.test("files of bare fields, (module binary …) and (module quote …)", async () => {
  const bare = await lower(`(module $a) (instance (instantiate $a)) (func (export "f"))`);
  assertEquals(layout(bare), [14, 15, 1, 3, 7, 10]);
  const bytes = await parseWat(`(module binary "\\00asm" "\\01\\00\\00\\00")`);
  assertEquals([...bytes], [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
  const quoted = await lower(`(module quote "(module $q) " "(instance (instantiate $q))")`);
  assertEquals(layout(quoted), [14, 15]);
  assertEquals(await parseWat(""), new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
});

Deno.test("options.module: one module of a larger text, positions in the whole text", async () => {
  const text =
    `(module $first)\n(assert_unlinkable\n  (module\n    (func\n      i32.bogus))\n  "x")\n`;
  const forms = readSExprs(text);
  const first = await parseWat(text, { module: forms[0] as SList });
  assertEquals(moduleName(decode(first)), "first");
  const inner = (forms[1] as SList).items[1] as SList;
  const e = await assertRejects(
    () => parseWat(text, { filename: "s.wast", module: inner }),
    WatError,
  );
  assertEquals([e.file, e.line, e.column], ["s.wast", 5, 7]);
  assert(e.reason.includes("i32.bogus"), e.reason);
});

Deno.test("generated identifiers never collide with the text's own", async () => {
  const ir = await lower(`(module
    (module $m (func (export "f") (result i32) i32.const 1))
    (instance $i (instantiate $m))
    (func $~0 (result i32) i32.const 2)
    (func (export "g") (result i32) call (func $i "f") call $~0 i32.add))`);
  // funcs: alias "f" 0, $~0 1, g 2.
  const body = [0, 0x10, 0, 0x10, 1, 0x6a, 0x0b];
  const code = raw(ir, 10);
  assertEquals(code.slice(-body.length), body);
});

Deno.test("nesting limits are errors, core code's before wabt could crash on it", async () => {
  const types = "(module (type " + '(instance (export "a" '.repeat(150) + "(func)" +
    "))".repeat(150) + "))";
  await assertWatError(types, "types nested more than 100 deep", 1, 14 + 100 * 22 + 1);
  const modules = "(module " + "(module ".repeat(101) + ")".repeat(101) + ")";
  await assertWatError(modules, "modules nested more than 100 deep", 1, 809);
  // Blamed: the block that opens level 129, (module and (func being 1 and 2.
  const blocks = "(module (func " + "(block ".repeat(50_000) + ")".repeat(50_000) + "))";
  await assertWatError(blocks, /^core code nested more than 128 deep/, 1, 14 + 126 * 7 + 1);
  assertEquals(layout(await lower("(module (func))")), [1, 3, 10]);
});

// ---- core-only modules are wabt's ------------------------------------------

Deno.test("core-only modules produce what wabt alone produces", async () => {
  // wabt itself, not our bridge to it, so the comparison is independent.
  const imported = await import("wabt");
  const wabt = await (imported.default as unknown as () => Promise<{
    parseWat(f: string, t: Uint8Array, o: Record<string, boolean>): {
      resolveNames(): void;
      toBinary(o: Record<string, boolean>): { buffer: Uint8Array };
      destroy(): void;
    };
  }>)();
  const features = WABT_FEATURES;
  const direct = (text: string) => {
    const m = wabt.parseWat("w.wat", new TextEncoder().encode(text), features);
    m.resolveNames();
    const out = m.toBinary({ canonicalize_lebs: true, write_debug_names: false }).buffer;
    m.destroy();
    return out;
  };
  const snippets = [
    `(module (import "a" "b" (func (param i32))) (func (param i64)) (type (func)) (func (export "x") (type 0)))`,
    `(module (memory 1) (data (i32.const 0) "é€😀\\00") (global $g (mut i32) (i32.const 1)) (table 2 funcref)
       (elem (i32.const 0) 0) (func (result i32 i32) i32.const 1 i32.const 2) (start 1) (func))`,
    `(module (import "a" "b" (func (param i32))) (type (func)) (export "f" (func 0)))`,
    `(module (type (func (param i32))) (import "a" "b" (func (param i32))) (import "a" "c" (memory 1 2))
       (import "a" "d" (global (mut f32))) (import "a" "e" (table 1 externref)))`,
    `(module (func $f (export "f") (param v128) (result i32) local.get 0 i32x4.extract_lane 1 return_call $g)
       (func $g (param i32) (result i32) local.get 0))`,
  ];
  for (const text of snippets) assertEquals(await parseWat(text), direct(text), text);
  // A name adds the name section, nothing else.
  const named = decode(await parseWat(`(module $n ${snippets[0].slice(8)}`));
  assertEquals(layout(named), [...layout(decode(direct(snippets[0]))), "name"]);
  assertEquals(moduleName(named), "n");
});

// ---- errors ----------------------------------------------------------------

Deno.test("errors: unknown names and wrong kinds", async () => {
  await assertWatError(`(module (instance (instantiate $nope)))`, "unknown module $nope", 1, 32);
  await assertWatError(`(module\n  (import "a" (func (type $t))))`, "unknown type $t", 2, 27);
  await assertWatError(`(module (instance $i (instantiate 0)))`, "unknown module 0", 1, 35);
  await assertWatError(
    `(module (module $m) (instance $i (instantiate $m))\n (instance (instantiate $m (import "x" (func $i)))))`,
    "$i is an instance, not a func",
    2,
    46,
  );
  await assertWatError(
    `(module\n  (module $m (func (export "f")))\n  (instance $i (instantiate $m))\n  (func call (func $i "g")))`,
    'unknown instance export "g"',
    4,
    23,
  );
  await assertWatError(
    `(module (import "a" (instance $i (export "g" (global i32))))\n  (func call (func $i "g")))`,
    'instance export "g" is a global, not a func',
    2,
    23,
  );
  await assertWatError(`(module (export "x" (func 3)))`, "unknown func 3", 1, 17);
  await assertWatError(
    `(module (type $t (func)) (import "m" (module (type $t))))`,
    "type $t is not a module type",
    1,
    46,
  );
  await assertWatError(
    `(module (type $t (func (param i32))) (import "f" (func (type $t) (param i64))))`,
    "inline function type does not match the type use",
    1,
    56,
  );
});

Deno.test("errors: outer references", async () => {
  await assertWatError(
    `(module (module $a (func (type outer 0 $t))) (type $t (func)))`,
    "outer type $t is not defined before module $a",
    1,
    40,
  );
  await assertWatError(`(module (func (type outer 0 $t)))`, /no enclosing module/, 1, 27);
  await assertWatError(
    `(module $a (module (alias outer $b $x (type))))`,
    "unknown enclosing module $b",
    1,
    33,
  );
  await assertWatError(
    `(module (module $m (alias outer 2 0 (type))))`,
    "outer depth 2 is out of range: module $m is nested 1 deep",
    1,
    33,
  );
  await assertWatError(
    `(module $P (module (alias outer $P $x (module))))`,
    "unknown module $x in module $P",
    1,
    36,
  );
});

Deno.test("errors: identifiers, order, numbers, fields and tokens", async () => {
  await assertWatError(`(module (type $t (func))\n (type $t (func)))`, "duplicate type $t", 2, 8);
  await assertWatError(`(module (func $f) (import "a" (func $f)))`, "duplicate func $f", 1, 37);
  await assertWatError(
    `(module (instance (instantiate $m)) (module $m))`,
    "module $m cannot be used here: it is defined later in binary order",
    1,
    32,
  );
  await assertWatError(
    `(module (instance (instantiate 4294967296)))`,
    "module index out of range: 4294967296",
    1,
    32,
  );
  await assertWatError(`(module (fnc))`, "unknown module field (fnc …)", 1, 9);
  await assertWatError(
    `(module (import "a" (func)) $x)`,
    "expected a module field, found $x",
    1,
    29,
  );
  await assertWatError(
    `(module (alias $i "x" (func) extra))`,
    /expected an alias description|unexpected/,
    1,
    30,
  );
  await assertWatError(`(module (import "\\ff" (module)))`, "malformed UTF-8 encoding", 1, 17);
  await assertWatError(
    `(module (module) (module) (instance (instantiate 0 (import "a" (func 0) x))))`,
    "unexpected x",
    1,
    73,
  );
});

Deno.test("errors: core code errors point at the original line and column", async () => {
  // In a nested module, after a non-ASCII comment and a tab.
  await assertWatError(
    ';; é\n(module $top\n  (module $a\n    (func (export "f") (result i32)\n\t(; ü ;) i32.const 1\n      i32.bogus)))',
    "unexpected token i32.bogus, expected ).",
    6,
    7,
  );
  // In a module-linking module: wabt sees a generated header, we see the source.
  await assertWatError(
    `(module\n  (module $m (func (export "f")))\n  (instance $i (instantiate $m))\n  (func $g call (func $i "f") call $nope))`,
    'undefined function variable "$nope"',
    4,
    36,
  );
  // In a plain core module given as bare fields.
  await assertWatError(
    `(func $f (param i32)\n  local.get $x)`,
    'undefined local variable "$x"',
    2,
    13,
  );
});

Deno.test("errors are always WatErrors, whatever the input", async () => {
  const doc = sharedFile("conformance/module-linking/instantiate.wast");
  if (doc === undefined) return;
  const modules = scriptModules(doc).map((m) => doc.slice(m.start, m.end));
  const junk = [
    "(",
    ")",
    "$a",
    "0",
    '"x"',
    "func",
    "module",
    "instance",
    "alias",
    "outer",
    "import",
    "export",
    "type",
  ];
  let seed = 7;
  const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  for (let i = 0; i < 300; i++) {
    const parts = modules[random(modules.length)].split(/(\s+|\(|\))/).filter((p) => p !== "");
    for (let k = 0; k < 2; k++) {
      const at = random(parts.length);
      if (random(2) === 0) parts.splice(at, 1);
      else parts.splice(at, 0, ` ${junk[random(junk.length)]} `);
    }
    const text = parts.join("");
    try {
      await parseWat(text);
    } catch (e) {
      assertInstanceOf(e, WatError, text);
    }
  }
});

// ---- scale -----------------------------------------------------------------

Deno.test("a large file with many nested modules and functions parses quickly", async () => {
  const parts = ["(module $root (type $t (func (param i32) (result i32)))\n"];
  parts.push(
    `(module $base (func (export "f") (param i32) (result i32) local.get 0)) (instance $i0 (instantiate $base))\n`,
  );
  const modules = 120, funcs = 100;
  for (let m = 1; m <= modules; m++) {
    parts.push(
      `(module $m${m} (import "dep" (instance $d (export "f" (func (param i32) (result i32)))))\n`,
    );
    for (let f = 0; f < funcs; f++) {
      parts.push(
        `  (func (export "f${f}") (param i32) (result i32) local.get 0 i32.const ${f} i32.add call (func $d "f"))\n`,
      );
    }
    parts.push(`  (func (export "f") (type outer $root $t) local.get 0))\n`);
    parts.push(`(instance $i${m} (instantiate $m${m} (import "dep" (instance $i${m - 1}))))\n`);
  }
  let deep = "";
  for (let d = 0; d < 60; d++) deep += `(module $d${d} (func (export "x"))`;
  parts.push(deep + ")".repeat(60) + ")");
  const text = parts.join("");
  const started = performance.now();
  const ir = decode(await parseWat(text));
  const ms = performance.now() - started;
  assertEquals(section(ir, 14, 1).modules.length, 1);
  assertEquals(ir.sections.filter((s) => s.id === 14).length, modules + 2);
  assert(ms < 10_000, `took ${ms} ms for ${text.length} characters`);
});
