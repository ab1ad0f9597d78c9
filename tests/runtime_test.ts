/**
 * The core pipeline end to end on binaries built through the encoder:
 * compile → instantiate → call, for every module-linking feature.
 */

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { compile, compileSync, Instance, instantiateSync, LinkError, Module } from "../mod.ts";
import {
  aliases,
  aliasExport,
  aliasOuter,
  arg,
  bin,
  call,
  code,
  ex,
  exp,
  exports,
  func,
  funcDesc,
  funcs,
  globalDesc,
  globalGet,
  globals,
  globalSet,
  I32,
  i32c,
  i32Global,
  imp,
  imports,
  instanceDesc,
  instances,
  instanceType,
  memories,
  memoryDesc,
  mod,
  moduleDesc,
  modules,
  moduleType,
  start,
  types,
} from "./helpers/build.ts";
import { encode } from "../lib/binary/encode.ts";

type Fn = (...args: unknown[]) => unknown;

/** A nested module exporting `f` returning `n`. */
function constModule(n: number) {
  return mod(
    types(func([], [I32])),
    funcs(0),
    exports(ex("f", 0, 0)),
    code(i32c(n)),
  );
}

Deno.test("a plain core module behaves as core wasm", async () => {
  const m = await compile(
    bin(
      types(func([I32], [I32])),
      funcs(0),
      exports(ex("id", 0, 0)),
      code([0x20, 0]),
    ),
  );
  const i = instantiateSync(m);
  assertEquals((i.exports.id as Fn)(7), 7);
  assertEquals(m.exports(), [{
    name: "id",
    kind: "func",
    type: "(func (param i32) (result i32))",
    params: ["i32"],
    results: ["i32"],
  }]);
});

Deno.test("two-level imports take values from {module: {name: value}}", () => {
  const m = compileSync(bin(
    types(func([], [I32])),
    imports(imp("env", "seven", funcDesc(0))),
    funcs(0),
    exports(ex("get", 0, 1)),
    code(call(0)),
  ));
  assertEquals(m.imports(), [{
    module: "env",
    name: "seven",
    kind: "func",
    type: "(func (result i32))",
  }]);
  const i = instantiateSync(m, { env: { seven: () => 7 } });
  assertEquals((i.exports.get as Fn)(), 7);
});

Deno.test("a nested instance's function is called through an alias, with no wrapper", () => {
  const m = compileSync(bin(
    types(func([], [I32])),
    modules(constModule(5)),
    instances({ module: 0 }),
    aliases(aliasExport(0, 0, "f")),
    funcs(0),
    exports(ex("get", 0, 1), ex("f", 0, 0), ex("child", 6, 0), ex("m", 5, 0)),
    code(call(0)),
  ));
  const i = instantiateSync(m);
  assertEquals((i.exports.get as Fn)(), 5);
  const child = i.exports.child as Instance;
  assertInstanceOf(child, Instance);
  // The aliased function is the V8 exported function itself.
  assertStrictEquals(i.exports.f, child.exports.f);
  assertInstanceOf(i.exports.m, Module);
  const again = instantiateSync(i.exports.m as Module);
  assertEquals((again.exports.f as Fn)(), 5);
});

Deno.test("instantiate passes funcs, globals and memories as named arguments", () => {
  const child = mod(
    types(func()),
    imports(
      imp("g", null, globalDesc(I32, true)),
      imp("mem", null, memoryDesc(1)),
    ),
    funcs(0),
    start(0),
    // global = 9; mem[0] = 9
    code([...i32c(9), ...globalSet(0), ...i32c(0), ...i32c(9), 0x36, 2, 0]),
  );
  const m = compileSync(bin(
    types(func([], [I32])),
    imports(
      imp("g", null, globalDesc(I32, true)),
      imp("mem", null, memoryDesc(1)),
    ),
    modules(child),
    instances({
      module: 0,
      args: [arg("g", 3, 0), arg("mem", 2, 0), arg("extra", 3, 0)],
    }),
    funcs(0),
    exports(ex("read", 0, 0)),
    code([...i32c(0), 0x28, 2, 0]),
  ));
  const g = new WebAssembly.Global({ value: "i32", mutable: true }, 0);
  const mem = new WebAssembly.Memory({ initial: 1 });
  const i = instantiateSync(m, { g, mem });
  assertEquals(g.value, 9);
  assertEquals((i.exports.read as Fn)(), 9);
});

Deno.test("start functions run children first, the module's own last", () => {
  const log: string[] = [];
  const child = mod(
    types(func()),
    imports(imp("log", null, funcDesc(0))),
    funcs(0),
    start(0),
    code(call(0)),
  );
  const m = compileSync(bin(
    types(func()),
    imports(
      imp("a", null, funcDesc(0)),
      imp("b", null, funcDesc(0)),
      imp("top", null, funcDesc(0)),
    ),
    modules(child),
    instances({ module: 0, args: [arg("log", 0, 0)] }, {
      module: 0,
      args: [arg("log", 0, 1)],
    }),
    funcs(0),
    start(3),
    code(call(2)),
  ));
  instantiateSync(m, {
    a: () => log.push("a"),
    b: () => log.push("b"),
    top: () => log.push("top"),
  });
  assertEquals(log, ["a", "b", "top"]);
});

Deno.test("instance imports accept an Instance, a WebAssembly.Instance or a plain object", () => {
  const m = compileSync(bin(
    types(func([], [I32]), instanceType([exp("f", funcDesc(0))])),
    imports(imp("i", null, instanceDesc(1))),
    aliases(aliasExport(0, 0, "f")),
    exports(ex("f", 0, 0)),
  ));
  assertEquals(
    (instantiateSync(m, { i: { f: () => 3 } }).exports.f as Fn)(),
    3,
  );
  const core = new WebAssembly.Instance(
    new WebAssembly.Module(encode(constModule(4)) as Uint8Array<ArrayBuffer>),
  );
  assertEquals((instantiateSync(m, { i: core }).exports.f as Fn)(), 4);
  const provider = instantiateSync(compileSync(encode(constModule(6))));
  assertEquals((instantiateSync(m, { i: provider }).exports.f as Fn)(), 6);
});

Deno.test("an exported module closes over the module imported for its instance", () => {
  // $b imports module "m" and exports a module that instantiates it.
  const inner = mod(
    types(func([], [I32])),
    aliases(aliasOuter(0, 5, 0)),
    instances({ module: 0 }),
    aliases(aliasExport(0, 0, "f")),
    exports(ex("f", 0, 0)),
  );
  const b = mod(
    types(func([], [I32]), moduleType([], [exp("f", funcDesc(0))])),
    imports(imp("m", null, moduleDesc(1))),
    modules(inner),
    exports(ex("closure", 5, 1)),
  );
  const outer = compileSync(bin(modules(b), exports(ex("b", 5, 0))));
  const B = instantiateSync(outer).exports.b as Module;
  const closure1 = instantiateSync(B, {
    m: compileSync(encode(constModule(1))),
  }).exports.closure as Module;
  const closure2 = instantiateSync(B, {
    m: compileSync(encode(constModule(2))),
  }).exports.closure as Module;
  assertEquals((instantiateSync(closure1).exports.f as Fn)(), 1);
  assertEquals((instantiateSync(closure2).exports.f as Fn)(), 2);
});

Deno.test("outer aliases reach modules two levels out", () => {
  // $a defines m1; $b (inside $a) defines $c which instantiates $a's m1 (depth 1).
  const c = mod(
    aliases(aliasOuter(1, 5, 0)),
    instances({ module: 0 }),
    aliases(aliasExport(0, 0, "f")),
    exports(ex("f", 0, 0)),
  );
  const b = mod(
    modules(c),
    instances({ module: 0 }),
    aliases(aliasExport(0, 0, "f")),
    exports(ex("f", 0, 0)),
  );
  const m = compileSync(
    bin(
      modules(constModule(8), b),
      instances({ module: 1 }),
      aliases(aliasExport(0, 0, "f")),
      exports(ex("f", 0, 0)),
    ),
  );
  assertEquals((instantiateSync(m).exports.f as Fn)(), 8);
});

Deno.test("host import errors name the import, the expected type and what was given", () => {
  const m = compileSync(bin(
    types(func([I32], [])),
    imports(imp("a", "f", funcDesc(0)), imp("g", null, globalDesc(I32, true))),
  ));
  const missing = assertThrows(() => instantiateSync(m, {}), LinkError);
  assert(
    missing.message.includes(`import "a" was not provided`),
    missing.message,
  );
  const wrong = assertThrows(
    () =>
      instantiateSync(m, {
        a: { f: 1 },
        g: new WebAssembly.Global({ value: "i32", mutable: true }),
      }),
    LinkError,
  );
  assertEquals(
    wrong.message,
    'incompatible import type for `a`: import "a" "f": expected (func (param i32)), got a number',
  );
  const immutable = assertThrows(
    () => instantiateSync(m, { a: { f: () => {} }, g: 3 }),
    LinkError,
  );
  assert(
    immutable.message.includes(
      'import "g": expected (global (mut i32)), got a number',
    ),
    immutable.message,
  );
});

Deno.test("a module import is checked with subtyping at run time", () => {
  const m = compileSync(bin(
    types(func([I32], []), moduleType([], [exp("", funcDesc(0))])),
    imports(imp("m", null, moduleDesc(1))),
  ));
  const good = compileSync(
    bin(
      types(func([I32], [])),
      funcs(0),
      exports(ex("", 0, 0), ex("extra", 0, 0)),
      code([]),
    ),
  );
  instantiateSync(m, { m: good });
  const bad = compileSync(
    bin(types(func([], [])), funcs(0), exports(ex("", 0, 0)), code([])),
  );
  const e = assertThrows(() => instantiateSync(m, { m: bad }), LinkError);
  assertEquals(
    e.message,
    'incompatible import type for `m`: import "m": export "": expected (func (param i32)), got (func)',
  );
});

Deno.test("V8's own link check is reported against the real import name", () => {
  const m = compileSync(
    bin(types(func([I32], [])), imports(imp("env", "mem", memoryDesc(2)))),
  );
  const e = assertThrows(
    () =>
      instantiateSync(m, {
        env: { mem: new WebAssembly.Memory({ initial: 1 }) },
      }),
    LinkError,
  );
  assert(
    e.message.startsWith(
      'incompatible import type for `env`: import "env" "mem": expected (memory 2), got a memory of 1 pages',
    ),
    e.message,
  );
});

Deno.test("an instance cap stops exponential instantiation", () => {
  // Each level instantiates the previous level twice: 2^40 instances.
  let level = mod();
  for (let i = 0; i < 40; i++) {
    level = mod(modules(level), instances({ module: 0 }, { module: 0 }));
  }
  const m = compileSync(encode(level));
  const e = assertThrows(() => instantiateSync(m), LinkError);
  assert(e.message.includes("at most 10000 instances"), e.message);
  const small = assertThrows(
    () => instantiateSync(m, {}, { maxInstances: 50 }),
    LinkError,
  );
  assert(small.message.includes("at most 50 instances"), small.message);
});

Deno.test("instance exports named like Object.prototype members are plain names", () => {
  const m = compileSync(bin(
    types(func([], [I32])),
    funcs(0, 0),
    exports(ex("__proto__", 0, 0), ex("constructor", 0, 1)),
    code(i32c(1), i32c(2)),
  ));
  const i = instantiateSync(m);
  assertEquals((i.exports["__proto__"] as Fn)(), 1);
  assertEquals((i.exports["constructor"] as Fn)(), 2);
  assert(Object.isFrozen(i.exports));
});

Deno.test("globals aliased from a child are shared, not copied", () => {
  const child = mod(globals(i32Global(2, true)), exports(ex("g", 3, 0)));
  const m = compileSync(bin(
    types(func([], [I32])),
    modules(child),
    instances({ module: 0 }),
    aliases(aliasExport(0, 3, "g")),
    funcs(0),
    exports(ex("get", 0, 0), ex("g", 3, 0)),
    code(globalGet(0)),
  ));
  const i = instantiateSync(m);
  (i.exports.g as WebAssembly.Global).value = 11;
  assertEquals((i.exports.get as Fn)(), 11);
});

Deno.test("memories from a child are visible to the parent", () => {
  const child = mod(memories(1), exports(ex("m", 2, 0)));
  const m = compileSync(bin(
    types(func([], [I32])),
    modules(child),
    instances({ module: 0 }),
    aliases(aliasExport(0, 2, "m")),
    funcs(0),
    exports(ex("load", 0, 0), ex("mem", 2, 0)),
    code([...i32c(0), 0x28, 2, 0]),
  ));
  const i = instantiateSync(m);
  new Uint32Array((i.exports.mem as WebAssembly.Memory).buffer)[0] = 77;
  assertEquals((i.exports.load as Fn)(), 77);
});

// ---- exception handling and instances made of exports -----------------------

/** `WebAssembly.Tag` and `WebAssembly.Exception`, which TypeScript's declarations lack. */
const { Tag, Exception } = WebAssembly as unknown as {
  Tag: new (type: { parameters: string[] }) => object;
  Exception: new (tag: object, values: unknown[]) => {
    is(tag: unknown): boolean;
    getArg(tag: unknown, index: number): unknown;
  };
};

/** What `run` throws: a wasm exception, seen from JS. */
function thrownBy(run: () => unknown): InstanceType<typeof Exception> {
  try {
    run();
  } catch (e) {
    assertInstanceOf(e, Exception);
    return e as InstanceType<typeof Exception>;
  }
  throw new Error("nothing was thrown");
}

Deno.test("tags pass between instances as the WebAssembly.Tag objects V8 exports", async () => {
  const m = await compile(`(module
    (module $thrower
      (tag $e (export "e") (param i32))
      (func (export "throw") (param i32) local.get 0 throw $e))
    (instance $a (instantiate $thrower))
    (instance $b (instantiate $thrower))
    (alias $a "e" (tag $e))
    (alias $a "throw" (func $throw))
    (export "a" (instance $a))
    (export "b" (instance $b))
    (export "e" (tag $e))
    (export "throw" (func $throw)))`);
  assertEquals(m.exports().find((e) => e.name === "e"), {
    name: "e",
    kind: "tag",
    type: "(tag (param i32))",
  });
  const { exports } = instantiateSync(m);
  const a = (exports.a as Instance).exports;
  const b = (exports.b as Instance).exports;
  assertInstanceOf(exports.e, Tag);
  // The alias is the tag itself; each instance of the module has its own.
  assertStrictEquals(exports.e, a.e);
  assert(a.e !== b.e);
  const thrown = thrownBy(() => (exports.throw as Fn)(42));
  assert(thrown.is(a.e) && !thrown.is(b.e));
  assertEquals(thrown.getArg(a.e, 0), 42);
  // An exception made in JS with a wasm tag is caught by wasm code that imports it.
  const catcher = await compile(`(module
    (import "x" "e" (tag $e (param i32)))
    (import "x" "raise" (func $raise))
    (func (export "catch") (result i32)
      (try (result i32) (do (call $raise) (i32.const -1)) (catch $e))))`);
  const raise = () => {
    throw new Exception(a.e as object, [7]);
  };
  const caught = instantiateSync(catcher, { x: { e: a.e, raise } });
  assertEquals((caught.exports.catch as Fn)(), 7);
});

Deno.test("a host tag import must be a WebAssembly.Tag of its type", async () => {
  const m = await compile(`(module
    (import "env" "e" (tag $e (param i32)))
    (func (export "throw") (param i32) local.get 0 throw $e))`);
  assertEquals(m.imports(), [
    { module: "env", name: "e", kind: "tag", type: "(tag (param i32))" },
  ]);
  for (const [value, got] of [[5, "a number"], [() => {}, "a function"], [{}, "an object"]]) {
    const e = assertThrows(() => instantiateSync(m, { env: { e: value } }), LinkError);
    assertEquals(
      e.message,
      `incompatible import type for \`env\`: import "env" "e": expected (tag (param i32)), got ${got}`,
    );
  }
  // V8 checks the tag's type; its message names the real import.
  const other = assertThrows(
    () => instantiateSync(m, { env: { e: new Tag({ parameters: ["f32"] }) } }),
    LinkError,
  );
  assert(
    other.message.startsWith('incompatible import type for `env`: import "env" "e": '),
    other.message,
  );
  assert(other.message.includes("tag"), other.message);
  const tag = new Tag({ parameters: ["i32"] });
  const { exports } = instantiateSync(m, { env: { e: tag } });
  assertEquals(thrownBy(() => (exports.throw as Fn)(3)).getArg(tag, 0), 3);
});

Deno.test("an instance made of exports holds the items themselves", async () => {
  const m = await compile(`(module
    (import "env" "f" (func $f (result i32)))
    (import "env" "g" (global $g (mut i32)))
    (import "env" "e" (tag $e))
    (module $leaf (func (export "five") (result i32) i32.const 5))
    (instance $pack
      (export "f" (func $f)) (export "g" (global $g)) (export "e" (tag $e))
      (export "leaf" (module $leaf)))
    (module $user
      (import "deps" (instance $d (export "f" (func (result i32))) (export "g" (global (mut i32)))))
      (func (export "sum") (result i32) (i32.add (call (func $d "f")) (global.get (global $d "g")))))
    (instance $u (instantiate $user (import "deps" (instance $pack))))
    (export "pack" (instance $pack))
    (export "sum" (func $u "sum")))`);
  const f = () => 40;
  const g = new WebAssembly.Global({ value: "i32", mutable: true }, 2);
  const e = new Tag({ parameters: [] });
  const { exports } = instantiateSync(m, { env: { f, g, e } });
  assertEquals((exports.sum as Fn)(), 42);
  const pack = exports.pack as Instance;
  assertInstanceOf(pack, Instance);
  assert(Object.isFrozen(pack.exports));
  assertStrictEquals(Object.getPrototypeOf(pack.exports), null);
  assertEquals(Object.keys(pack.exports), ["f", "g", "e", "leaf"]);
  assertStrictEquals(pack.exports.f, f);
  assertStrictEquals(pack.exports.g, g);
  assertStrictEquals(pack.exports.e, e);
  assertEquals((instantiateSync(pack.exports.leaf as Module).exports.five as Fn)(), 5);
});

Deno.test("an instance made of exports is matched by the type its exporter gives it", async () => {
  const exporter = instantiateSync(
    await compile(`(module
      (import "env" "f" (func $f (result i32)))
      (instance $i (export "f" (func $f)))
      (export "i" (instance $i)))`),
    { env: { f: () => 1 } },
  );
  const wants = (type: string) =>
    compile(`(module (import "x" (instance (export "i" (instance (export "f" ${type}))))))`);
  instantiateSync(await wants("(func (result i32))"), { x: exporter });
  const wrong = await wants("(func (result i64))");
  const e = assertThrows(() => instantiateSync(wrong, { x: exporter }), LinkError);
  assertEquals(
    e.message,
    'incompatible import type for `x`: import "x" "i" "f": expected (func (result i64)), got (func (result i32))',
  );
});
