/**
 * Hostile input to the compiler and the text front-end (issue 11, items 3,
 * 4, 7, 8 and 9): deep type chains, expensive subtype checks, text that
 * breaks wabt, lone surrogates, swarms of tiny modules, and the large flat
 * modules V8 accepts. Each test failed before its fix: with a RangeError, a
 * hang, a silent U+FFFD, gigabytes of memory or a wrong rejection.
 *
 * `MLINK_HOSTILE_LONG=1` also runs the measurements behind the limits
 * (a 25 MB binary of a million modules, RSS and times), which CI skips.
 */

import { assert, assertEquals, assertMatch, assertRejects, assertThrows } from "@std/assert";
import { compile, CompileError, compileSync, instantiateSync, WatError } from "../mod.ts";
import { encode } from "../lib/binary/encode.ts";
import { compileBinary } from "../lib/compile/mod.ts";
import type { Import, ImportDesc, ModuleIR, Section, TypeDef } from "../lib/ir.ts";
import {
  MAX_CORE_TEXT_NESTING,
  MAX_INSTANTIATE_ARGS,
  MAX_MODULES,
  MAX_SUBTYPE_WORK,
  MAX_TYPE_DEPTH,
  MAX_TYPE_SIZE,
} from "../lib/limits.ts";
import { formatEntityType } from "../lib/format.ts";
import { SubtypeBudget, subtypeMismatch } from "../lib/subtype.ts";
import { type InstanceType, type ModuleType, referencesTooMuch, TypeTables } from "../lib/types.ts";
import { parseWat } from "../lib/text/mod.ts";

const LONG = (() => {
  try {
    return Deno.env.get("MLINK_HOSTILE_LONG") === "1";
  } catch {
    return false;
  }
})();

const FUNC: TypeDef = { form: "func", params: [], results: [] };
const func = (type = 0): ImportDesc => ({ kind: 0, type });
const instance = (type: number): ImportDesc => ({ kind: 6, type });

/** Runs `f` and returns how long it took, in milliseconds. */
function timed(f: () => void): number {
  const start = performance.now();
  f();
  return performance.now() - start;
}

// ---- generators -------------------------------------------------------------

/**
 * Two chains of instance types `depth` deep, A(k) = (instance (export "a"
 * A(k-1)) (export "x" (func))) and B(k) = (instance (export "a" B(k-1))): a
 * nested module imports B(top), and is instantiated with an import of type
 * A(top), so validation walks both chains to the bottom.
 */
function deepChain(depth: number): Uint8Array {
  const defs: TypeDef[] = [FUNC];
  for (let k = 0; k < depth; k++) {
    const below = (chain: 1 | 2) =>
      k === 0 ? [] : [{ name: "a", desc: instance(chain + 2 * (k - 1)) }];
    defs.push({ form: "instance", exports: [...below(1), { name: "x", desc: func() }] });
    defs.push({ form: "instance", exports: below(2) });
  }
  const topA = 1 + 2 * (depth - 1);
  const topB = 2 + 2 * (depth - 1);
  const child: ModuleIR = {
    sections: [
      { id: 16, aliases: [{ form: "outerType", depth: 0, index: topB }] },
      { id: 2, imports: [{ module: "i", field: null, desc: instance(0) }] },
    ],
  };
  return encode({
    sections: [
      { id: 1, types: defs },
      { id: 2, imports: [{ module: "x", field: null, desc: instance(topA) }] },
      { id: 14, modules: [child] },
      {
        id: 15,
        instances: [{ form: "instantiate", module: 0, args: [{ name: "i", kind: 6, index: 0 }] }],
      },
    ],
  });
}

/** The text of {@linkcode deepChain}. */
function deepChainText(depth: number): string {
  let text = `(module\n  (type $a0 (instance (export "x" (func))))\n  (type $b0 (instance))\n`;
  for (let k = 1; k < depth; k++) {
    text += `  (type $a${k} (instance (export "a" (instance (type $a${
      k - 1
    }))) (export "x" (func))))\n`;
    text += `  (type $b${k} (instance (export "a" (instance (type $b${k - 1})))))\n`;
  }
  const top = depth - 1;
  return text + `  (import "x" (instance $x (type $a${top})))
  (module $m (import "i" (instance (type outer 0 $b${top}))))
  (instance (instantiate $m (import "i" (instance $x)))))`;
}

/**
 * `count` instantiations of a module that imports an instance of a doubling
 * type D(levels), each given an import of G(levels), where D(0) = (instance
 * (export "f" (func))), D(k) = (instance (export "a" D(k-1)) (export "b"
 * D(k-1))) and G is D with one more export at each level: a legal type whose
 * expanded form has about 3 · 2^(levels - 1) members.
 */
function manyChecks(levels: number, count: number): Uint8Array {
  const defs: TypeDef[] = [FUNC];
  for (let k = 0; k < levels; k++) {
    const members = (chain: 1 | 2) =>
      k === 0 ? [{ name: "f", desc: func() }] : [
        { name: "a", desc: instance(chain + 2 * (k - 1)) },
        { name: "b", desc: instance(chain + 2 * (k - 1)) },
      ];
    defs.push({ form: "instance", exports: [...members(1), { name: "x", desc: func() }] });
    defs.push({ form: "instance", exports: members(2) });
  }
  const child: ModuleIR = {
    sections: [
      { id: 16, aliases: [{ form: "outerType", depth: 0, index: 2 * levels }] },
      { id: 2, imports: [{ module: "i", field: null, desc: instance(0) }] },
    ],
  };
  const instances = Array.from({ length: count }, () => ({
    form: "instantiate" as const,
    module: 0,
    args: [{ name: "i", kind: 6 as const, index: 0 }],
  }));
  return encode({
    sections: [
      { id: 1, types: defs },
      { id: 2, imports: [{ module: "x", field: null, desc: instance(2 * levels - 1) }] },
      { id: 14, modules: [child] },
      { id: 15, instances },
    ],
  });
}

/**
 * A binary of `count` modules, the outermost included: empty ones nested
 * in the outermost, each with a custom section of `pad` bytes.
 */
function manyModules(count: number, pad = 0): Uint8Array {
  const inner: ModuleIR = {
    sections: pad === 0 ? [] : [{ id: 0, name: "", data: new Uint8Array(pad - 2) }],
  };
  return encode({ sections: [{ id: 14, modules: Array(count - 1).fill(inner) }] });
}

/** A core module exporting its one function `count` times. */
function manyExports(count: number): Uint8Array {
  const exports = Array.from({ length: count }, (_, i) => ({
    name: `e${i}`,
    kind: 0 as const,
    index: 0,
  }));
  return encode({
    sections: [
      { id: 1, types: [FUNC] },
      { id: 3, funcs: [0] },
      { id: 7, exports },
      { id: 10, data: new Uint8Array([1, 2, 0, 0x0b]) },
    ],
  });
}

function funcImports(count: number, module = "env"): Import[] {
  return Array.from({ length: count }, (_, i) => ({ module, field: `f${i}`, desc: func() }));
}

/** A core module importing `count` functions from "env". */
function manyImports(count: number, extra: Section[] = []): Uint8Array {
  return encode({
    sections: [{ id: 1, types: [FUNC] }, { id: 2, imports: funcImports(count) }, ...extra],
  });
}

// ---- item 3: recursion on attacker-controlled depth --------------------------

Deno.test("a 5,000-deep chain of instance types is a CompileError naming the depth limit", () => {
  const bytes = deepChain(5_000);
  // Before: RangeError (maximum call stack size exceeded) in subtyping.
  const e = assertThrows(() => compileSync(bytes), CompileError);
  assert(e.message.includes(`more than ${MAX_TYPE_DEPTH} deep`), e.message);
  // It points into the type section, at the type that went too deep.
  assert(e.offset !== undefined && e.offset > 0 && e.offset < bytes.length, e.message);
});

Deno.test("the same chain written as text is a CompileError too", async () => {
  const e = await assertRejects(() => compile(deepChainText(5_000)), CompileError);
  assert(e.message.includes(`more than ${MAX_TYPE_DEPTH} deep`), e.message);
});

Deno.test("a chain just within the depth limit validates, checked to the bottom", () => {
  // A(k) nests k + 1 deep, and the module type importing A(top) one more:
  // the deepest legal chain, compared level by level.
  compileSync(deepChain(MAX_TYPE_DEPTH - 1));
  assertThrows(() => compileSync(deepChain(MAX_TYPE_DEPTH)), CompileError);
});

/** A chain `depth` deep in tables made as an artifact's are: restored, not interned, so unchecked. */
function restoredChain(
  depth: number,
  leaf: "func" | "global",
): { tables: TypeTables; top: number } {
  const instances: InstanceType[] = [{
    exports: [{
      name: "x",
      type: leaf === "func"
        ? { kind: 0, type: 0 }
        : { kind: 3, type: { type: 0x7f, mutable: false } },
    }],
  }];
  for (let k = 1; k < depth; k++) {
    instances.push({ exports: [{ name: "i", type: { kind: 6, type: k - 1 } }] });
  }
  const sizes = instances.map((_, k) => 2 * k + 2);
  const tables = TypeTables.restore([{ params: [], results: [] }], [], instances, [], sizes);
  return { tables, top: depth - 1 };
}

Deno.test("subtypeMismatch never recurses: 20,000-deep restored types are a mismatch, not a RangeError", () => {
  // What a damaged artifact or a host module from one could hand the linker.
  const a = restoredChain(20_000, "func");
  const b = restoredChain(20_000, "func");
  const why = subtypeMismatch(a.tables, { kind: 6, type: a.top }, b.tables, {
    kind: 6,
    type: b.top,
  });
  assert(why !== null && why.includes(`nest more than ${MAX_TYPE_DEPTH} deep`), String(why));
  if (why === null) return;
  // The path in the message keeps its two ends, not 1,000 levels.
  assert(why.length < 400, why);
  assertMatch(why, /^export "i": .*… \(\d+ more levels\).*export "i": /);
});

Deno.test("subtypeMismatch compares deep types from two tables and names the path of a mismatch", () => {
  const depth = MAX_TYPE_DEPTH - 1;
  const a = restoredChain(depth, "func");
  const b = restoredChain(depth, "func");
  assertEquals(
    subtypeMismatch(a.tables, { kind: 6, type: a.top }, b.tables, { kind: 6, type: b.top }),
    null,
  );
  const g = restoredChain(depth, "global");
  const why = subtypeMismatch(g.tables, { kind: 6, type: g.top }, b.tables, {
    kind: 6,
    type: b.top,
  });
  assert(why !== null && why.endsWith(`export "x": expected func, got global`), String(why));
  // Shallow paths are shown whole, as before.
  const shallow = restoredChain(3, "global");
  const target = restoredChain(3, "func");
  assertEquals(
    subtypeMismatch(shallow.tables, { kind: 6, type: 2 }, target.tables, { kind: 6, type: 2 }),
    `export "i": export "i": export "x": expected func, got global`,
  );
});

Deno.test("formatting a deep or long type for a message stays short and quick", () => {
  const { tables, top } = restoredChain(20_000, "func");
  const text = formatEntityType(tables, { kind: 6, type: top });
  assert(text.length < 300 && text.includes("(instance …)"), text);
  const wide = new TypeTables();
  const params = Array<number>(1_000_000).fill(0x7f);
  const f = wide.func(params, []);
  const ms = timed(() => assert(formatEntityType(wide, { kind: 0, type: f }).length < 300));
  assert(ms < 200, `${ms} ms`);
});

Deno.test("a nested binary whose types nest to the limit is embedded in text", async () => {
  // The text front-end converts the embedded module's types by recursion.
  const hex = [...deepChain(MAX_TYPE_DEPTH - 1)].map((b) => `\\${b.toString(16).padStart(2, "0")}`)
    .join("");
  const bytes = await parseWat(`(module (import "x" (instance)) (module $deep binary "${hex}"))`);
  assert(bytes.length > 0);
});

// ---- item 4: hangs -----------------------------------------------------------

Deno.test("10,000 instantiations checking a 50,000-member instance type validate in milliseconds", () => {
  // Before: each check walked the expanded type, 11 s in all; 100,000 took over a minute.
  const bytes = manyChecks(15, 10_000);
  const ms = timed(() => compileBinary(bytes));
  assert(ms < 2_000, `${ms.toFixed(0)} ms`);
});

/**
 * Tables holding two doubling chains `levels` deep, as {@linkcode manyChecks}
 * builds them, and `count` distinct instance types each exporting G(top)
 * with one more func: new pairs to check against D(top), whose parts are not.
 */
function doublingTables(levels: number, count: number) {
  const tables = new TypeTables();
  const f = { kind: 0, type: tables.func([], []) } as const;
  let g = tables.instance({ exports: [{ name: "f", type: f }, { name: "x", type: f }] });
  let d = tables.instance({ exports: [{ name: "f", type: f }] });
  for (let k = 1; k < levels; k++) {
    const pair = (t: number) => [
      { name: "a", type: { kind: 6, type: t } as const },
      { name: "b", type: { kind: 6, type: t } as const },
    ];
    g = tables.instance({ exports: [...pair(g), { name: "x", type: f }] });
    d = tables.instance({ exports: pair(d) });
  }
  const expected = tables.instance({ exports: [{ name: "a", type: { kind: 6, type: d } }] });
  const got = Array.from({ length: count }, (_, i) =>
    tables.instance({
      exports: [{ name: "a", type: { kind: 6, type: g } }, { name: `y${i}`, type: f }],
    }));
  return { tables, got, expected };
}

Deno.test("checks of different pairs share what they have proven inside the types", () => {
  const { tables, got, expected } = doublingTables(15, 2_000);
  assert(tables.instanceSizes[expected] > 45_000);
  const ms = timed(() => {
    for (const g of got) {
      assertEquals(
        subtypeMismatch(tables, { kind: 6, type: g }, tables, { kind: 6, type: expected }),
        null,
      );
    }
  });
  // Without remembering proven pairs, each check walks some 50,000 members.
  assert(ms < 1_000, `${ms.toFixed(0)} ms`);
});

/** A binary tree of distinct instance types `depth` deep; `tag` makes its nodes its own. */
function treeType(tables: TypeTables, depth: number, tag?: string): number {
  const f = { kind: 0, type: tables.func([], []) } as const;
  let n = 0;
  const own = () => tag === undefined ? [] : [{ name: `${tag}${n++}`, type: f }];
  let level = Array.from({ length: 2 ** depth }, () => tables.instance({ exports: own() }));
  while (level.length > 1) {
    const up: number[] = [];
    for (let i = 0; i < level.length; i += 2) {
      up.push(tables.instance({
        exports: [
          { name: "a", type: { kind: 6, type: level[i] } },
          { name: "b", type: { kind: 6, type: level[i + 1] } },
          ...own(),
        ],
      }));
    }
    level = up;
  }
  return level[0];
}

Deno.test("the checks of one compile share a work budget: different large types cannot add up", () => {
  // Every got tree is new, so nothing proven before helps: each check
  // costs some 2,000 pairs, and the budget runs out after a few.
  const tables = new TypeTables();
  const expected = { kind: 6, type: treeType(tables, 10) } as const;
  const budget = new SubtypeBudget(100_000);
  let why: string | null = null;
  let checks = 0;
  while (why === null && checks < 100) {
    why = subtypeMismatch(
      tables,
      { kind: 6, type: treeType(tables, 10, `t${checks++}_`) },
      tables,
      expected,
      budget,
    );
  }
  assert(checks > 1 && checks < 10, `${checks} checks`);
  assert(
    why?.endsWith("too costly to compare: checks have compared more than 100000 members"),
    String(why),
  );
  // The compiler's budget is the documented one, and a check of V8's
  // maximum instance of imports against another fits it many times over.
  assertEquals(new SubtypeBudget().total, MAX_SUBTYPE_WORK);
  const imports = funcImports(100_000, "env");
  const child: ModuleIR = {
    sections: [
      { id: 16, aliases: [{ form: "outerType", depth: 0, index: 0 }] },
      { id: 2, imports: imports.slice(1) },
    ],
  };
  const bytes = encode({
    sections: [
      { id: 1, types: [FUNC] },
      { id: 2, imports },
      { id: 14, modules: [child] },
      {
        id: 15,
        instances: [{ form: "instantiate", module: 0, args: [{ name: "env", kind: 6, index: 0 }] }],
      },
    ],
  });
  compileBinary(bytes);
});

Deno.test("100,000 two-level imports from one module validate in linear time", () => {
  // Before: duplicate fields were searched for in a list, 36 s for this.
  const imports = funcImports(100_000);
  const bytes = encode({
    sections: [
      { id: 1, types: [FUNC, { form: "module", imports, exports: [] }] },
      { id: 2, imports },
      { id: 14, modules: [{ sections: [] }] },
    ],
  });
  const ms = timed(() => compileBinary(bytes));
  assert(ms < 3_000, `${ms.toFixed(0)} ms`);
});

Deno.test("an instance made of 100,000 exports validates in linear time; more is an error", () => {
  const made = (count: number) =>
    encode({
      sections: [
        { id: 1, types: [FUNC] },
        { id: 2, imports: [{ module: "f", field: null, desc: func() }] },
        {
          id: 15,
          instances: [{
            form: "exports",
            exports: Array.from(
              { length: count },
              (_, i) => ({ name: `e${i}`, kind: 0, index: 0 }),
            ),
          }],
        },
      ],
    });
  const bytes = made(MAX_INSTANTIATE_ARGS);
  const ms = timed(() => compileBinary(bytes));
  assert(ms < 3_000, `${ms.toFixed(0)} ms`);
  const e = assertThrows(() => compileBinary(made(MAX_INSTANTIATE_ARGS + 1)), CompileError);
  assertEquals(
    e.reason,
    `instance: ${MAX_INSTANTIATE_ARGS + 1} exports exceed the limit of ${MAX_INSTANTIATE_ARGS}`,
  );
});

/** Core text with `depth` levels of `open` … `close` inside `(module (func …))`. */
function nestedFunc(depth: number, open: string, close: string, inner = ""): string {
  return `(module (func ${open.repeat(depth - 2)}${inner}${close.repeat(depth - 2)}))`;
}

Deno.test("core text nested past the limit is a WatError before wabt sees it", async () => {
  // 180 unfolded blocks: 1.8 KB that made wabt's parser loop for ever.
  const flat = `(module (func\n${"block\n".repeat(180)}${"end\n".repeat(180)}))`;
  const start = performance.now();
  const e = await assertRejects(() => parseWat(flat, { filename: "deep.wat" }), WatError);
  assert(performance.now() - start < 5_000);
  assert(e.message.includes(`nested more than ${MAX_CORE_TEXT_NESTING} deep`), e.message);
  // Blamed: the block that opens level 129, with (module and (func as 1 and 2.
  assertEquals([e.file, e.line, e.column], ["deep.wat", MAX_CORE_TEXT_NESTING, 1]);

  for (
    const text of [
      nestedFunc(MAX_CORE_TEXT_NESTING + 1, "(block ", ")"),
      nestedFunc(MAX_CORE_TEXT_NESTING + 1, "(i32.add (i32.const 1) ", ")", "(i32.const 2)"),
      nestedFunc(MAX_CORE_TEXT_NESTING + 1, "i32.const 0 if ", "end "),
      nestedFunc(5_000, "(loop ", ")"),
      `(module (global i32 ${"(i32.add (i32.const 1) ".repeat(200)}(i32.const 1)${
        ")".repeat(200)
      }))`,
      // The core part of a module-linking module, and half folded, half not.
      `(module (module) (func ${"(block block ".repeat(70)}${"end)".repeat(70)}))`,
    ]
  ) {
    const e = await assertRejects(() => parseWat(text), WatError);
    assert(e.message.includes(`nested more than ${MAX_CORE_TEXT_NESTING} deep`), e.message);
  }
});

Deno.test("core text at the nesting limit parses, in the shapes that cost wabt's stack most", async () => {
  // Measured on wabt.js 1.0.39, counting (module and (func: folded blocks
  // (with or without a result or a label) and loops overflow its stack at
  // about 150 levels, unfolded blocks at 178, half and half at 164. If the
  // limit were raised past them, this would crash or hang.
  const depth = MAX_CORE_TEXT_NESTING - 2; // inside (module and (func
  const labels = Array.from({ length: depth }, (_, i) => `(block $l${i} `).join("");
  const half = depth / 2;
  for (
    const text of [
      // The innermost (result i32) and (i32.const 0) are one level deeper.
      nestedFunc(MAX_CORE_TEXT_NESTING - 1, "(block (result i32) ", ")", "(i32.const 0)"),
      `(module (func ${labels}${")".repeat(depth)}))`,
      nestedFunc(MAX_CORE_TEXT_NESTING, "block ", "end "),
      nestedFunc(MAX_CORE_TEXT_NESTING, "(loop ", ")"),
      `(module (func ${"(block block ".repeat(half)}${"end)".repeat(half)}))`,
      `(module (module) (func ${"(block ".repeat(depth)}${")".repeat(depth)}))`,
    ]
  ) {
    // Parsed, not validated: the first leaves a value behind, which is V8's to reject.
    const bytes = await parseWat(text);
    assert(bytes.length > 8, text.slice(0, 60));
  }
});

// ---- item 7: lone surrogates -------------------------------------------------

Deno.test("a lone surrogate in text given as a JS string is a WatError at its position", async () => {
  const cases: [string, number, number][] = [
    ['(module (func (export "a\uD800b")))', 1, 25],
    ['(module\n  (import "x\uDC00" "y" (func)))', 2, 13],
    ["(module (func $f\uDBFF))", 1, 17],
    ["(module ;; \uD83D\n (func))", 1, 12],
  ];
  for (const [text, line, column] of cases) {
    const e = await assertRejects(() => parseWat(text, { filename: "s.wat" }), WatError);
    assert(
      e.reason.startsWith("lone surrogate U+D") && e.reason.includes("not valid Unicode"),
      e.reason,
    );
    assertEquals([e.line, e.column], [line, column], e.message);
  }
  // A pair is one character: fine, and its name keeps it.
  const bytes = await parseWat('(module (func (export "ok\uD83D\uDE00")))');
  const m = new WebAssembly.Module(new Uint8Array(bytes));
  assertEquals(WebAssembly.Module.exports(m)[0].name, "ok\u{1F600}");
});

Deno.test("invalid UTF-8 in a quoted module's text is a WatError", async () => {
  const e = await assertRejects(() => parseWat('(module quote "(module)\\ff")'), WatError);
  assert(e.reason.includes("malformed UTF-8"), e.message);
});

// ---- item 8: memory amplification ------------------------------------------

Deno.test(`a binary of more than ${MAX_MODULES} modules is rejected as it is decoded`, () => {
  compileBinary(manyModules(1_000));
  const bytes = manyModules(MAX_MODULES + 1);
  const e = assertThrows(() => compileBinary(bytes), CompileError);
  assert(e.message.includes(`more than ${MAX_MODULES} modules in one binary`), e.message);
  assert(e.offset !== undefined && e.offset > bytes.length - 20, e.message);
});

Deno.test(`a text of more than ${MAX_MODULES} modules is a WatError`, async () => {
  const text = `(module ${"(module)".repeat(MAX_MODULES)})`;
  const e = await assertRejects(() => parseWat(text, { filename: "many.wat" }), WatError);
  assert(e.message.includes(`more than ${MAX_MODULES} modules in one text`), e.message);
  assertEquals(e.column, text.length - "(module))".length + 1);
});

Deno.test({
  name: "measurement: memory of a million tiny modules (MLINK_HOSTILE_LONG=1)",
  ignore: !LONG,
  fn() {
    // The 25 MB binary: 1M nested modules of 25 bytes each.
    const bytes = manyModules(1_000_000, 16);
    const before = Deno.memoryUsage().rss;
    const ms = timed(() => assertThrows(() => compileSync(bytes), CompileError));
    const allowed = manyModules(MAX_MODULES, 16);
    const msAllowed = timed(() => compileSync(allowed));
    const after = Deno.memoryUsage().rss;
    console.log(
      `${(bytes.length / 1e6).toFixed(1)} MB of 1M modules rejected in ${ms.toFixed(0)} ms; ` +
        `${MAX_MODULES} modules (${(allowed.length / 1e6).toFixed(1)} MB) compiled in ${
          msAllowed.toFixed(0)
        } ms; RSS grew ${((after - before) / 1e6).toFixed(0)} MB`,
    );
  },
});

// ---- item 9: valid modules rejected ----------------------------------------

Deno.test("core modules at V8's limits compile: 100,000 exports, 100,000 imports", () => {
  for (const bytes of [manyExports(100_000), manyImports(99_999), manyImports(100_000)]) {
    new WebAssembly.Module(new Uint8Array(bytes)); // V8 takes it,
    compileSync(bytes); // and so does mlink.
  }
  const { exports } = instantiateSync(compileSync(manyExports(100_000)));
  assertEquals(Object.keys(exports).length, 100_000);
});

Deno.test("a type referencing too much is blamed on the member that crossed the limit", () => {
  // A module-linking module importing two instances of 60,000 funcs each.
  const imports = [...funcImports(60_000, "a"), ...funcImports(60_000, "b")];
  const bytes = manyImports(0, [{ id: 2, imports }, { id: 14, modules: [{ sections: [] }] }]);
  const e = assertThrows(() => compileSync(bytes), CompileError);
  assert(e.message.includes(`exceeds ${MAX_TYPE_SIZE} at import "b"`), e.message);
  // At the first import from "b", not at byte 0.
  const firstB = bytes.indexOf(0x62, 12); // "b" is the first byte 0x62 after the header
  assert(e.offset !== undefined && e.offset > 0 && Math.abs(e.offset - firstB) < 4, e.message);
});

Deno.test("exponential types are still caught, however their members are spread", () => {
  // A flat instance of 1,000 funcs, referenced twice per level: the expanded
  // type doubles at each level while the binary grows by a few bytes.
  const defs: TypeDef[] = [FUNC, {
    form: "instance",
    exports: Array.from({ length: 1_000 }, (_, i) => ({ name: `f${i}`, desc: func() })),
  }];
  for (let k = 0; k < 20; k++) {
    const below = defs.length - 1;
    defs.push({
      form: "instance",
      exports: [{ name: "a", desc: instance(below) }, { name: "b", desc: instance(below) }],
    });
  }
  const e = assertThrows(
    () => compileSync(encode({ sections: [{ id: 1, types: defs }] })),
    CompileError,
  );
  assert(e.message.includes(`effective size exceeds ${MAX_TYPE_SIZE}`), e.message);
});

Deno.test("referencesTooMuch states the rule for stored types", () => {
  const tables = new TypeTables();
  const flat: ModuleType = {
    imports: [],
    exports: Array.from(
      { length: 150_000 },
      (_, i) => ({ name: `e${i}`, type: { kind: 0, type: tables.func([], []) } }),
    ),
  };
  const index = tables.module(flat);
  assertEquals(referencesTooMuch(tables.moduleSizes[index], 150_000), false);
  assertEquals(referencesTooMuch(1 + 2 + MAX_TYPE_SIZE + 1, 2), true);
});
