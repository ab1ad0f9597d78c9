/**
 * Typed bindings (`lib/deploy/types.ts`): the declarations are checked the
 * way a user meets them, by `deno check` on consumers in a temporary
 * directory (correct ones pass, each misuse fails with its TypeScript error),
 * and the correct consumers also run against mlink.
 */

import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { compile, type Module } from "../mod.ts";
import { declarations, DeclarationsError, selfTypesComment } from "../lib/deploy/types.ts";

const loader = new URL("../lib/loader.ts", import.meta.url).href;

/** An export name that tries to break out of strings and comments. */
const HOSTILE = 'a"b*/c\n\u2028}';

/** Every kind of export and import, and names that are not identifiers. */
const APP = `(module $app
  (import "env" "log" (func $log (param i32)))
  (import "env" "log64" (func $log64 (param i64)))
  (import "scale" (func $scale (param f64) (result f64)))
  (import "base" (global $base i32))
  (import "counter" (global $counter (mut i64)))
  (import "heap" (memory $heap 1))
  (import "host" (instance $host
    (export "get" (func (result i32)))
    (export "tag" (global i32))))
  (import "plugin" (module $plugin
    (export "run" (func (param i32) (result i32)))))
  (module $child
    (func (export "get") (result i32) i32.const 42)
    (global (export "limit") i32 (i32.const 7)))
  (instance $inner (instantiate $child))
  (instance $plugged (instantiate $plugin))
  (table (export "table") 2 funcref)
  (global (export "total") (mut i32) (i32.const 0))
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "add64") (param i64 i64) (result i64) local.get 0 local.get 1 i64.add)
  (func (export "mix") (param i32 i64 f32 f64) (result f64)
    local.get 0 f64.convert_i32_s
    local.get 1 f64.convert_i64_s f64.add
    local.get 2 f64.promote_f32 f64.add
    local.get 3 f64.add)
  (func (export "divmod") (param i32 i32) (result i32 i64)
    local.get 0 local.get 1 i32.div_s
    local.get 0 local.get 1 i32.rem_s i64.extend_i32_s)
  (func (export "splat") (param i32) (result v128) local.get 0 i32x4.splat)
  (func (export "useImports") (result f64)
    global.get $base call $log
    global.get $counter call $log64
    global.get $counter i64.const 1 i64.add global.set $counter
    (i32.store (i32.const 0) (i32.const 99))
    global.get $base
    call (func $host "get") i32.add
    global.get (global $host "tag") i32.add
    i32.const 0 call (func $plugged "run") i32.add
    f64.convert_i32_s call $scale)
  (func (export "ref") (param funcref) (result funcref) local.get 0)
  (func (export "any") (param externref) (result externref) local.get 0)
  (func (export "not an identifier!") (result i32) i32.const 1)
  (func (export "constructor") (result i64) i64.const 5)
  (func (export "__proto__") (result i32) i32.const 2)
  (func (export "a\\"b*/c\\n\\u{2028}}") (result i32) i32.const 3)
  (export "memory" (memory $heap))
  (export "inner" (instance $inner))
  (export "child" (module $child))
  (export "plugin" (module $plugin)))`;

const PLUGIN =
  `(module (func (export "run") (param i32) (result i32) local.get 0 i32.const 1 i32.add))`;

/** The imports of APP as TypeScript source; `edit` replaces (or, with null, drops) entries. */
function importsSource(edit: Record<string, string | null> = {}): string {
  const entries: Record<string, string | null> = {
    env: "{ log: (a0) => { logged.push(a0); }, log64: (a0) => { logged.push(String(a0)); } }",
    scale: "(a0) => a0 * 2",
    base: "10",
    counter: "counter",
    heap: "new WebAssembly.Memory({ initial: 1 })",
    host: "{ get: () => 3, tag: 4 }",
    plugin: "plugin",
    ...edit,
  };
  const lines = Object.entries(entries).filter(([, v]) => v !== null).map(([k, v]) =>
    `  ${k}: ${v},`
  );
  return `{\n${lines.join("\n")}\n}`;
}

/** Uses every export of APP and reports what it saw, as JSON on stdout. */
const USE_EXPORTS = `
const [q, r] = exports.divmod(7, 2);
exports.total.value = 5;
let splat = "called";
try {
  (exports.splat as unknown as (a0: number) => unknown)(1);
} catch (e) {
  splat = (e as Error).name;
}
const report: Record<string, unknown> = {
  add: exports.add(2, 3),
  add64: String(exports.add64(2n, 3n)),
  mix: exports.mix(1, 2n, 0.5, 0.25),
  divmod: [q, String(r)],
  useImports: exports.useImports(),
  logged,
  counter: String(counter.value),
  heap: new Uint8Array(exports.memory.buffer)[0],
  inner: [exports.inner.exports.get(), exports.inner.exports.limit.value],
  total: exports.total.value,
  names: [
    exports["not an identifier!"](),
    String(exports.constructor()),
    exports.__proto__(),
    exports[${JSON.stringify(HOSTILE)}](),
  ],
  ref: exports.ref(null),
  any: exports.any("x"),
  table: exports.table.length,
  child: exports.child.exports().map((e) => e.name),
  splat,
};
`;

/** What USE_EXPORTS reports for APP instantiated with importsSource(). */
const REPORT = {
  add: 5,
  add64: "5",
  mix: 3.75,
  divmod: [3, "1"],
  useImports: 36, // scale(base 10 + host.get 3 + host.tag 4 + plugin.run(0) 1)
  logged: [10, "5"],
  counter: "6",
  heap: 99,
  inner: [42, 7],
  total: 5,
  names: [1, "5", 2, 3],
  ref: null,
  any: "x",
  table: 2,
  child: ["get", "limit"],
  splat: "TypeError",
};

/** Exact-type assertions: each line fails to type-check unless the type is exactly right. */
const EXACT_TYPES = `
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;
type E = Exports;
const checks: true[] = [
  true as Equal<E["add"], (a0: number, a1: number) => number>,
  true as Equal<E["add64"], (a0: bigint, a1: bigint) => bigint>,
  true as Equal<E["mix"], (a0: number, a1: bigint, a2: number, a3: number) => number>,
  true as Equal<E["divmod"], (a0: number, a1: number) => readonly [number, bigint]>,
  true as Equal<E["useImports"], () => number>,
  true as Equal<E["ref"], (a0: ((...args: never[]) => unknown) | null) => ((...args: never[]) => unknown) | null>,
  true as Equal<E["any"], (a0: unknown) => unknown>,
  true as Equal<E["splat"], (...args: never) => never>,
  true as Equal<E["constructor"], () => bigint>,
  true as Equal<E["__proto__"], () => number>,
  true as Equal<E["memory"], WebAssembly.Memory>,
  true as Equal<E["table"], WebAssembly.Table>,
  true as Equal<E["total"]["value"], number>,
  true as Equal<E["inner"]["exports"]["limit"]["value"], number>,
  true as Equal<Imports["env"]["log64"], (a0: bigint) => void>,
  true as Equal<Imports["base"], WebAssembly.Global | number>,
  true as Equal<Imports["counter"], WebAssembly.Global>,
  true as Equal<Imports["host"]["get"], () => number>,
];
`;

async function sh(
  dir: string,
  args: string[],
): Promise<{ success: boolean; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder();
  return { success: out.success, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

function check(dir: string, ...files: string[]) {
  return sh(dir, ["check", "--no-config", "--no-lock", ...files]);
}

function runChecked(dir: string, file: string) {
  return sh(dir, ["run", "--check", "--no-config", "--no-lock", `--allow-read=${dir}`, file]);
}

/**
 * The TypeScript error codes `deno check` reported, by the file (relative to
 * `dir`) of each error's primary location, its first `at` line; related
 * locations (`'b' is declared here`) follow it and are not counted.
 */
function errorsByFile(dir: string, stderr: string): Map<string, string[]> {
  const byFile = new Map<string, string[]>();
  const prefix = `file://${dir}/`;
  for (const block of stderr.split(/^(?=TS\d+ \[ERROR\])/m).slice(1)) {
    const code = /^TS\d+/.exec(block)![0];
    const at = /^\s+at (\S+):\d+:\d+$/m.exec(block);
    const file = at === null ? "?" : at[1].startsWith(prefix) ? at[1].slice(prefix.length) : at[1];
    byFile.set(file, [...byFile.get(file) ?? [], code]);
  }
  return byFile;
}

/**
 * Checks `cases` in one `deno check` and asserts that each failed with
 * exactly one error, of its `code`, located in the file itself, and that
 * no other file (the declarations) had an error.
 */
async function assertEachFails(dir: string, cases: { file: string; code: string }[]) {
  const result = await check(dir, ...cases.map((c) => c.file));
  assert(!result.success, `every file type-checked:\n${result.stderr}`);
  const expected = new Map(cases.map((c) => [c.file, [c.code]]));
  assertEquals(errorsByFile(dir, result.stderr), expected, result.stderr);
}

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlink_types_" }));
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/**
 * A stand-in for the ES module `compile --esm` writes (lib/deploy/esm.ts):
 * the same exports, backed by mlink's loader, with the comment that points
 * Deno at app.d.ts.
 */
function esmStub(module: Module, pragma: string | null = selfTypesComment("app.d.ts")): string {
  return [
    ...(pragma === null ? [] : [pragma]),
    "// A stand-in for the ES module that compile --esm writes.",
    `import { deserialize, instantiate as run, instantiateSync as runSync } from ${
      JSON.stringify(loader)
    };`,
    `export { ArtifactError, CompileError, Instance, LinkError, Module } from ${
      JSON.stringify(loader)
    };`,
    `const bytes = Uint8Array.from(atob(${
      JSON.stringify(base64(module.serialize()))
    }), (c) => c.charCodeAt(0));`,
    'export const module = deserialize(bytes, "app.js");',
    "export function instantiate(imports, options) { return run(module, imports, options); }",
    "export function instantiateSync(imports, options) { return runSync(module, imports, options); }",
    "",
  ].join("\n");
}

Deno.test("declarations: every kind of export and import gets its type", async () => {
  const text = declarations(await compile(APP), { name: "app.wat" });
  const lines = new Set(text.split("\n").map((l) => l.trim()));
  for (
    const line of [
      "export interface Exports {",
      "readonly add: (a0: number, a1: number) => number;",
      "readonly add64: (a0: bigint, a1: bigint) => bigint;",
      "readonly mix: (a0: number, a1: bigint, a2: number, a3: number) => number;",
      "readonly divmod: (a0: number, a1: number) => readonly [number, bigint];",
      "readonly splat: (...args: never) => never;",
      "readonly ref: (a0: ((...args: never[]) => unknown) | null) => ((...args: never[]) => unknown) | null;",
      "readonly any: (a0: unknown) => unknown;",
      "readonly memory: WebAssembly.Memory;",
      "readonly table: WebAssembly.Table;",
      "readonly total: MutableGlobal<number>;",
      "readonly limit: Global<number>;",
      "readonly exports: {",
      "readonly child: Module;",
      'readonly "not an identifier!": () => number;',
      "readonly constructor: () => bigint;",
      "readonly __proto__: () => number;",
      'readonly "a\\"b*/c\\n\\u2028}": () => number;',
      "export type Imports = {",
      "readonly env: {",
      "readonly log: (a0: number) => void;",
      "readonly log64: (a0: bigint) => void;",
      "readonly scale: (a0: number) => number;",
      "readonly base: WebAssembly.Global | number;",
      "readonly counter: WebAssembly.Global;",
      "readonly heap: WebAssembly.Memory;",
      "readonly host: {",
      "readonly tag: WebAssembly.Global | number;",
      "readonly plugin: Module;",
      "export interface Module {",
      "/** (func (param i32) (result v128)): v128 cannot cross into JS, " +
      "so calling it from JS throws a TypeError; wasm can still import it */",
      "/** (global (mut i32)) */",
    ]
  ) {
    assert(lines.has(line), `missing line: ${line}\n\n${text}`);
  }
  // A comment cannot be closed early by a name inside a type.
  const withHostileModule = declarations(
    await compile(`(module (module $m (func (export "x*/y")))
      (export "m" (module $m)))`),
  );
  assertStringIncludes(withHostileModule, '/** (module (export "x*\\/y" (func))) */');
});

Deno.test("declarations: deterministic, with a header that names the source", async () => {
  const module = await compile(APP);
  const text = declarations(module, { name: "app.wat" });
  assertEquals(declarations(await compile(APP), { name: "app.wat" }), text);
  assertEquals(
    text.split("\n")[0],
    '// TypeScript declarations of the exports and imports of "app.wat".',
  );
  // Without a name, the module's own; a name with line breaks stays on its line.
  assertStringIncludes(declarations(module).split("\n")[0], '"app"');
  const odd = declarations(module, { name: "x\ny\u2028z" }).split("\n")[0];
  assertEquals(odd, '// TypeScript declarations of the exports and imports of "x\\ny\\u2028z".');
  const esm = declarations(module, { name: "app.wat", form: "esm" });
  assertStringIncludes(esm.split("\n")[0], '"app.wat"');
  assert(!/^import /m.test(esm), "the esm form imports nothing");
});

Deno.test("declarations: a module without imports or exports", async () => {
  const text = declarations(await compile(`(module)`));
  assertStringIncludes(text, "export interface Exports {}");
  assertStringIncludes(text, "export type Imports = Record<string, never>;");
  assertStringIncludes(text, "//   const instance = await instantiate(module);");
  assert(!text.includes("interface Module"), "no helper types it does not use");
  assert(!text.includes("interface Global"), "no helper types it does not use");
  const esm = declarations(await compile(`(module)`), { form: "esm" });
  assertStringIncludes(esm, "  imports?: Imports,");
});

Deno.test("declarations: v128 imports and globals, and instances nested too deep", async () => {
  // An instance import whose type nests instance types 40 deep.
  let nested = `(func (result i32))`;
  for (let i = 0; i < 40; i++) nested = `(instance (export "x" ${nested}))`;
  const module = await compile(`(module
    (import "vf" (func (param v128)))
    (import "vg" (global v128))
    (import "deep" ${nested})
    (global (export "g") v128 (v128.const i32x4 0 0 0 0))
    (global (export "h") (mut i64) (i64.const 0))
    (table (export "refs") 1 externref))`);
  const text = declarations(module);
  const lines = new Set(text.split("\n").map((l) => l.trim()));
  for (
    const line of [
      "readonly vf: (...args: never[]) => unknown;",
      "readonly vg: WebAssembly.Global;",
      "readonly g: Global<never>;",
      "readonly h: MutableGlobal<bigint>;",
      "readonly refs: WebAssembly.Table;",
      "/** an instance nested more than 32 deep: its exports are not typed */",
      "readonly x: object;",
    ]
  ) {
    assert(lines.has(line), `missing line: ${line}\n\n${text}`);
  }
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/unusual.ts`, text);
    await Deno.writeTextFile(
      `${dir}/use.ts`,
      `import type { Exports, Imports } from "./unusual.ts";
declare const exports: Exports;
declare const imports: Imports;
const wasm: Imports["vf"] = (a0: number) => a0;
const big: bigint = exports.h.value;
const plain: WebAssembly.Global = exports.g;
`,
    );
    await Deno.writeTextFile(
      `${dir}/misuse.ts`,
      `import type { Exports } from "./unusual.ts";
declare const exports: Exports;
exports.h.value = 1;
`,
    );
    const [result] = await Promise.all([
      check(dir, "use.ts"),
      assertEachFails(dir, [{ file: "misuse.ts", code: "TS2322" }]),
    ]);
    assert(result.success, result.stderr);
  });
});

Deno.test("declarations: tags are WebAssembly.Tag both ways, and run with mlink", async () => {
  const module = await compile(`(module
    (import "env" "e" (tag $e (param i32)))
    (tag $own (export "own"))
    (instance $pack (export "e" (tag $e)))
    (export "e" (tag $e))
    (export "pack" (instance $pack)))`);
  const text = declarations(module);
  const lines = new Set(text.split("\n").map((l) => l.trim()));
  for (
    const line of [
      "/** (tag (param i32)) */",
      "readonly e: Tag;",
      "/** (tag) */",
      "readonly own: Tag;",
      "export type Tag = typeof WebAssembly extends {",
    ]
  ) {
    assert(lines.has(line), `missing line: ${line}\n\n${text}`);
  }
  assert(!declarations(await compile(`(module)`)).includes("Tag"));
  // The descriptors of an exported module's `exports()` name the kind.
  const withModule = await compile(`(module (module $m) (export "m" (module $m)))`);
  assert(declarations(withModule).includes('  | "tag"\n'));
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/tags.ts`, text);
    await Deno.writeFile(`${dir}/tags.mlk`, module.serialize());
    await Deno.writeTextFile(
      `${dir}/main.ts`,
      `import { deserialize, instantiate } from ${JSON.stringify(loader)};
import type { Exports, Imports, Tag } from "./tags.ts";
const module = deserialize(await Deno.readFile(new URL("./tags.mlk", import.meta.url)));
const { Tag: TagClass } = WebAssembly as unknown as { Tag: new (t: { parameters: string[] }) => Tag };
const e: Tag = new TagClass({ parameters: ["i32"] });
const imports: Imports = { env: { e } };
const exports = (await instantiate(module, imports)).exports as unknown as Exports;
const own: Tag = exports.own;
console.log(JSON.stringify([exports.e === e, exports.pack.exports.e === e, own !== e]));
`,
    );
    await Deno.writeTextFile(
      `${dir}/misuse.ts`,
      `import type { Imports } from "./tags.ts";
const imports: Imports = { env: { e: 5 } };
`,
    );
    const [main] = await Promise.all([
      runChecked(dir, "main.ts"),
      assertEachFails(dir, [{ file: "misuse.ts", code: "TS2322" }]),
    ]);
    assert(main.success, main.stderr);
    assertEquals(JSON.parse(main.stdout), [true, true, true]);
  });
});

Deno.test("declarations: bad arguments are DeclarationsErrors", async () => {
  const module = await compile(`(module)`);
  const bad: [() => unknown, string][] = [
    [() => declarations({} as Module), "expects a Module from compile(), got an object"],
    [() => declarations(null as unknown as Module), "got null"],
    [
      () => declarations(module, { form: "cjs" as "esm" }),
      'form must be "module" or "esm", got "cjs"',
    ],
    [() => declarations(module, { name: 3 as unknown as string }), "name must be a string"],
    [() => declarations(module, { form: "esm", mlink: loader }), "imports nothing"],
    [() => declarations(module, { mlink: "" }), "mlink must be a module specifier"],
    [() => declarations(module, 7 as never), "options must be an object"],
    [() => selfTypesComment('a".d.ts'), "cannot name"],
    [() => selfTypesComment("a\n.d.ts"), "cannot name"],
    [() => selfTypesComment(""), "cannot name"],
  ];
  for (const [call, message] of bad) assertThrows(call, DeclarationsError, message);
});

Deno.test("selfTypesComment: the comment for a file name", () => {
  assertEquals(selfTypesComment("app.d.ts"), '// @ts-self-types="./app.d.ts"');
  assertEquals(selfTypesComment("./types/app.d.ts"), '// @ts-self-types="./types/app.d.ts"');
  assertEquals(selfTypesComment("../app.d.ts"), '// @ts-self-types="../app.d.ts"');
  assertEquals(
    selfTypesComment("https://example.com/app.d.ts"),
    '// @ts-self-types="https://example.com/app.d.ts"',
  );
});

Deno.test("module form: a correct consumer type-checks and runs with mlink", async () => {
  const app = await compile(APP);
  const plugin = await compile(PLUGIN);
  await withDir(async (dir) => {
    // Self-contained declarations, with mlink's real types on the other side.
    await Deno.writeTextFile(`${dir}/app_types.ts`, declarations(app, { name: "app.wat" }));
    await Deno.writeTextFile(
      `${dir}/typed.ts`,
      `import type { Exports, Imports, Module, ModuleExportDescriptor } from "./app_types.ts";
import type * as mlink from ${JSON.stringify(loader)};
declare const real: mlink.Module;
declare const exports: Exports;
declare const counter: WebAssembly.Global;
const logged: unknown[] = [];
const plugin: Module = real;
const imports: Imports = ${importsSource()};
const accepted: mlink.Imports = imports;
const described: mlink.ModuleExportDescriptor[] = exports.child.exports();
const back: ModuleExportDescriptor[] = real.exports();
const imported: mlink.ModuleImportDescriptor[] = exports.plugin.imports();
const bytes: Uint8Array = exports.child.serialize();
${EXACT_TYPES}
`,
    );
    // Declarations that import mlink's Module type: an exported module
    // instantiates again, and the whole program runs.
    await Deno.writeTextFile(
      `${dir}/app_mlink.ts`,
      declarations(app, { name: "app.wat", mlink: loader }),
    );
    await Deno.writeFile(`${dir}/app.mlk`, app.serialize());
    await Deno.writeFile(`${dir}/plugin.mlk`, plugin.serialize());
    await Deno.writeTextFile(
      `${dir}/main.ts`,
      `import { deserialize, instantiate } from ${JSON.stringify(loader)};
import type { Exports, Imports } from "./app_mlink.ts";
const app = deserialize(await Deno.readFile(new URL("./app.mlk", import.meta.url)));
const plugin = deserialize(await Deno.readFile(new URL("./plugin.mlk", import.meta.url)));
const logged: unknown[] = [];
const counter = new WebAssembly.Global({ value: "i64", mutable: true }, 5n);
const imports: Imports = ${importsSource()};
const instance = await instantiate(app, imports);
const exports = instance.exports as unknown as Exports;
${USE_EXPORTS}
const again = await instantiate(exports.child);
report.again = (again.exports as unknown as Exports["inner"]["exports"]).get();
console.log(JSON.stringify(report));
`,
    );
    const [typed, main] = await Promise.all([check(dir, "typed.ts"), runChecked(dir, "main.ts")]);
    assert(typed.success, typed.stderr);
    assert(main.success, main.stderr);
    assertEquals(JSON.parse(main.stdout), { ...REPORT, again: 42 });
  });
});

Deno.test("module form: each misuse fails deno check with its TypeScript error", async () => {
  const text = declarations(await compile(APP), { name: "app.wat" });
  const misuses: { file: string; code: string; body: string }[] = [
    { file: "string_for_i32.ts", code: "TS2345", body: 'exports.add("1", 2);' },
    { file: "number_for_i64.ts", code: "TS2345", body: "exports.add64(1, 2n);" },
    {
      file: "i64_result_as_number.ts",
      code: "TS2322",
      body: "const n: number = exports.add64(1n, 2n);",
    },
    {
      file: "i64_second_result_as_number.ts",
      code: "TS2322",
      body: "const r: number = exports.divmod(7, 2)[1];",
    },
    { file: "v128_called.ts", code: "TS2345", body: "exports.splat(1);" },
    { file: "nested_export_missing.ts", code: "TS2339", body: "exports.inner.exports.nope();" },
    {
      file: "immutable_global_written.ts",
      code: "TS2540",
      body: "exports.inner.exports.limit.value = 1;",
    },
    {
      file: "forgotten_import.ts",
      code: "TS2741",
      body: `const imports: Imports = ${importsSource({ base: null })};`,
    },
    {
      file: "forgotten_two_level_import.ts",
      code: "TS2741",
      body: `const imports: Imports = ${
        importsSource({ env: "{ log: (a0) => { logged.push(a0); } }" })
      };`,
    },
    {
      file: "host_function_wrong_param.ts",
      code: "TS2322",
      body: `const imports: Imports = ${importsSource({ scale: "(a0: string) => 1" })};`,
    },
    {
      file: "memory_import_wrong.ts",
      code: "TS2322",
      body: `const imports: Imports = ${importsSource({ heap: "1" })};`,
    },
    {
      file: "i32_global_given_bigint.ts",
      code: "TS2322",
      body: `const imports: Imports = ${importsSource({ base: "10n" })};`,
    },
    {
      file: "mutable_global_given_number.ts",
      code: "TS2322",
      body: `const imports: Imports = ${importsSource({ counter: "5n" })};`,
    },
    {
      file: "instance_import_missing_export.ts",
      code: "TS2741",
      body: `const imports: Imports = ${importsSource({ host: "{ get: () => 3 }" })};`,
    },
    {
      file: "module_import_given_object.ts",
      code: "TS2739",
      body: `const imports: Imports = ${importsSource({ plugin: "{ name: 'p' }" })};`,
    },
  ];
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/app_types.ts`, text);
    await Promise.all(misuses.map((m) =>
      Deno.writeTextFile(
        `${dir}/${m.file}`,
        `import type { Exports, Imports, Module } from "./app_types.ts";
declare const exports: Exports;
declare const plugin: Module;
declare const counter: WebAssembly.Global;
const logged: unknown[] = [];
${m.body}
`,
      )
    ));
    await assertEachFails(dir, misuses);
  });
});

Deno.test("esm form: app.d.ts next to app.js types a consumer that runs", async () => {
  const app = await compile(APP);
  await withDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/app.d.ts`,
      declarations(app, { name: "app.wat", form: "esm" }),
    );
    await Deno.writeTextFile(`${dir}/app.js`, esmStub(app));
    await Deno.writeFile(`${dir}/plugin.mlk`, (await compile(PLUGIN)).serialize());
    await Deno.writeTextFile(
      `${dir}/main.ts`,
      `import {
  ArtifactError,
  CompileError,
  Instance,
  instantiate,
  instantiateSync,
  LinkError,
  Module,
  module,
} from "./app.js";
import type { Exports, Imports, ModuleImportDescriptor } from "./app.js";
const plugin = Module.deserialize(await Deno.readFile(new URL("./plugin.mlk", import.meta.url)));
const logged: unknown[] = [];
const counter = new WebAssembly.Global({ value: "i64", mutable: true }, 5n);
const imports: Imports = ${importsSource()};
const instance: Instance = await instantiate(imports, { maxInstances: 10 });
const { exports } = instance;
${USE_EXPORTS}
${EXACT_TYPES}
const sync: Exports = instantiateSync(imports).exports;
const described: ModuleImportDescriptor[] = module.imports();
report.sync = sync.add(1, 1);
report.imports = described.map((d) => d.name === null ? d.module : d.module + "." + d.name);
report.classes = [
  instance instanceof Instance,
  exports.inner instanceof Instance,
  exports.child instanceof Module,
  typeof CompileError === "function",
];
try {
  instantiateSync({} as Imports);
} catch (e) {
  report.link = e instanceof LinkError && e instanceof WebAssembly.LinkError ? e.reason : "other";
}
try {
  Module.deserialize(new Uint8Array(8));
} catch (e) {
  report.artifact = e instanceof ArtifactError;
}
console.log(JSON.stringify(report));
`,
    );
    const main = await runChecked(dir, "main.ts");
    assert(main.success, main.stderr);
    assertEquals(JSON.parse(main.stdout), {
      ...REPORT,
      sync: 2,
      imports: ["env.log", "env.log64", "scale", "base", "counter", "heap", "host", "plugin"],
      classes: [true, true, true, true],
      link: 'unknown import: import "env" was not provided; expected ' +
        '(instance (export "log" (func (param i32))) (export "log64" (func (param i64))))',
      artifact: true,
    });
  });
});

Deno.test("esm form: each misuse fails deno check with its TypeScript error", async () => {
  const app = await compile(APP);
  const misuses: { file: string; code: string; body: string }[] = [
    { file: "no_imports.ts", code: "TS2554", body: "await instantiate();" },
    { file: "string_imports.ts", code: "TS2345", body: 'await instantiate("imports");' },
    {
      file: "forgotten_import.ts",
      code: "TS2345",
      body: `await instantiate(${importsSource({ heap: null })});`,
    },
    {
      file: "wrong_import_type.ts",
      code: "TS2322",
      body: `instantiateSync(${
        importsSource({ env: "{ log: (a0: string) => {}, log64: () => {} }" })
      });`,
    },
    {
      file: "i64_result_as_number.ts",
      code: "TS2322",
      body: `const n: number = (await instantiate(imports)).exports.add64(1n, 2n);`,
    },
    {
      file: "string_for_i32.ts",
      code: "TS2345",
      body: `instantiateSync(imports).exports.add(1, "2");`,
    },
    {
      file: "bad_option.ts",
      code: "TS2322",
      body: `instantiateSync(imports, { maxInstances: "3" });`,
    },
    { file: "module_misused.ts", code: "TS2554", body: "module.serialize(1);" },
    { file: "module_constructed.ts", code: "TS2673", body: "new Module();" },
    {
      // At run time the bundle's linker wants its own Module class.
      file: "module_of_another_mlink.ts",
      code: "TS2741", // Property '#private' is missing
      body: `import type * as mlink from ${JSON.stringify(loader)};
declare const other: mlink.Module;
await instantiate(${importsSource({ plugin: "other" })});`,
    },
  ];
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/app.d.ts`, declarations(app, { form: "esm" }));
    await Deno.writeTextFile(`${dir}/app.js`, esmStub(app));
    await Promise.all(misuses.map((m) =>
      Deno.writeTextFile(
        `${dir}/${m.file}`,
        `import { instantiate, instantiateSync, Module, module } from "./app.js";
import type { Imports } from "./app.js";
declare const imports: Imports;
declare const plugin: Module;
declare const counter: WebAssembly.Global;
const logged: unknown[] = [];
${m.body}
`,
      )
    ));
    await assertEachFails(dir, misuses);
  });
});

Deno.test("esm form: a module without imports instantiates without arguments", async () => {
  const app = await compile(`(module (func (export "seven") (result i32) i32.const 7))`);
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/app.d.ts`, declarations(app, { form: "esm" }));
    await Deno.writeTextFile(`${dir}/app.js`, esmStub(app));
    await Deno.writeTextFile(
      `${dir}/main.ts`,
      `import { instantiate, instantiateSync } from "./app.js";
const a: number = (await instantiate()).exports.seven();
const b: number = instantiateSync(undefined, { maxInstances: 1 }).exports.seven();
console.log(a + b);
`,
    );
    await Deno.writeTextFile(
      `${dir}/extra.ts`,
      `import { instantiate } from "./app.js";
await instantiate({ env: {} });
`,
    );
    const [main] = await Promise.all([
      runChecked(dir, "main.ts"),
      assertEachFails(dir, [{ file: "extra.ts", code: "TS2322" }]),
    ]);
    assert(main.success, main.stderr);
    assertEquals(main.stdout.trim(), "14");
  });
});

Deno.test("esm form: Deno reads app.d.ts only through a leading @ts-self-types comment", async () => {
  const app = await compile(`(module (func (export "seven") (result i32) i32.const 7))`);
  const d = declarations(app, { form: "esm" });
  // Without the declarations, Deno infers app.js's types from its source,
  // where `instantiate(imports, options)` takes anything.
  const consumer = `import { instantiate } from "./app.js";\nawait instantiate("not imports");\n`;
  const variants: { name: string; js: string; read: boolean }[] = [
    { name: "self_types", js: esmStub(app), read: true },
    {
      name: "after_comments",
      js: `/**\n * Generated.\n */\n// more\n${esmStub(app)}`,
      read: true,
    },
    {
      name: "reference_types",
      js: esmStub(app, '/// <reference types="./app.d.ts" />'),
      read: true,
    },
    { name: "none", js: esmStub(app, null), read: false },
    { name: "after_code", js: `const x = 1;\n${esmStub(app)}`, read: false },
    { name: "bare_name", js: esmStub(app, '// @ts-self-types="app.d.ts"'), read: false },
  ];
  await withDir(async (dir) => {
    await Promise.all(variants.map(async (v) => {
      await Deno.mkdir(`${dir}/${v.name}`);
      await Deno.writeTextFile(`${dir}/${v.name}/app.d.ts`, d);
      await Deno.writeTextFile(`${dir}/${v.name}/app.js`, v.js);
      await Deno.writeTextFile(`${dir}/${v.name}/main.ts`, consumer);
    }));
    // The variants that read app.d.ts fail; the others pass.
    const ignored = variants.filter((v) => !v.read).map((v) => `${v.name}/main.ts`);
    const [passed] = await Promise.all([
      check(dir, ...ignored),
      assertEachFails(
        dir,
        variants.filter((v) => v.read).map((v) => ({ file: `${v.name}/main.ts`, code: "TS2345" })),
      ),
    ]);
    assert(passed.success, passed.stderr);
  });
});
