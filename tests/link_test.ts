/**
 * `link`: a main module and the modules it imports, linked into one
 * module-linking module that mlink compiles and runs. Inputs are written in
 * text and parsed by mlink itself; the output is checked by running it, by
 * its import and export lists, and by decoding it.
 */

import { assert, assertEquals, assertInstanceOf, assertThrows } from "@std/assert";
import { compileSync, instantiateSync, parseWat } from "../mod.ts";
import { decode, encode } from "../lib/binary/mod.ts";
import { compileBinary } from "../lib/compile/mod.ts";
import { moduleNameOf } from "../lib/binary/names.ts";
import { CompileError } from "../lib/errors.ts";
import type { InstanceSection, InstantiateDef, ModuleIR, ModuleSection } from "../lib/ir.ts";
import {
  link,
  type LinkInput,
  type LinkOptions,
  LinkToolError,
  type LinkToolErrorCode,
  parseModuleSpec,
} from "../lib/link.ts";
import { bin, code, ex, exports, func, funcs, types } from "./helpers/build.ts";

type Fn = (...args: number[]) => number;

/** Parses each text input, links, and returns the output. */
async function linkWat(
  main: string,
  modules: Record<string, string> = {},
  options?: LinkOptions,
): Promise<Uint8Array> {
  const inputs: LinkInput[] = [];
  for (const [name, text] of Object.entries(modules)) {
    inputs.push({ name, bytes: await parseWat(text) });
  }
  return link({ name: "main.wasm", bytes: await parseWat(main) }, inputs, options);
}

/** Links, then asserts the LinkToolError's code and message. */
async function assertLinkError(
  code: LinkToolErrorCode,
  message: string,
  main: string,
  modules: Record<string, string> = {},
): Promise<void> {
  const inputs: LinkInput[] = [];
  for (const [name, text] of Object.entries(modules)) {
    inputs.push({ name, bytes: await parseWat(text) });
  }
  const mainBytes = await parseWat(main);
  const e = assertThrows(
    () => link({ name: "main.wasm", bytes: mainBytes }, inputs),
    LinkToolError,
  );
  assertEquals(e.message, message);
  assertEquals(e.code, code);
}

function nestedModules(out: Uint8Array): ModuleIR[] {
  return (decode(out).sections.find((s) => s.id === 14) as ModuleSection).modules;
}

/** Names of the nested modules in the order the output instantiates them. */
function instantiationOrder(out: Uint8Array): string[] {
  const ir = decode(out);
  const nested = (ir.sections.find((s) => s.id === 14) as ModuleSection).modules;
  const defs = ir.sections.filter((s) => s.id === 15).flatMap((s) =>
    (s as InstanceSection).instances
  );
  // The output imports no modules, so module index = position in the module section.
  return (defs as InstantiateDef[]).map((d) =>
    moduleNameOf(nested[d.module]) ?? `module ${d.module}`
  );
}

/** A host `log` that records what it is called with. */
function recorder(): { log: (x: number) => void; seen: number[] } {
  const seen: number[] = [];
  return { log: (x) => void seen.push(x), seen };
}

const LIB = `(module
  (memory (export "memory") 1)
  (func (export "add") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.add))`;

const MAIN = `(module
  (import "lib" "add" (func $add (param i32 i32) (result i32)))
  (import "lib" "memory" (memory 1))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (func (export "run") (param i32) (result i32)
    (i32.store (i32.const 16) (call $add (local.get 0) (i32.const 100)))
    (call $write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 0))))`;

Deno.test("link: main calls a linked library and a host function, sharing the library's memory", async () => {
  const out = await linkWat(MAIN, { lib: LIB });
  const module = compileSync(out);
  assertEquals(module.imports(), [{
    module: "wasi_snapshot_preview1",
    name: "fd_write",
    kind: "func",
    type: "(func (param i32 i32 i32 i32) (result i32))",
  }]);
  assertEquals(module.exports(), [{
    name: "run",
    kind: "func",
    type: "(func (param i32) (result i32))",
    params: ["i32"],
    results: ["i32"],
  }]);
  const writes: number[][] = [];
  const instance = instantiateSync(module, {
    wasi_snapshot_preview1: {
      fd_write: (fd: number, iovs: number, n: number, ret: number) => {
        writes.push([fd, iovs, n, ret]);
        return 7;
      },
    },
  });
  assertEquals((instance.exports.run as Fn)(5), 7);
  assertEquals(writes, [[1, 16, 1, 0]]);
  assertEquals(moduleNameOf(nestedModules(out)[0]), "lib");
});

Deno.test("link: main's memory store lands in the library's memory", async () => {
  const lib = `(module
    (memory (export "memory") 1)
    (func (export "peek") (param i32) (result i32) local.get 0 i32.load))`;
  const main = `(module
    (import "lib" "memory" (memory 1))
    (import "lib" "peek" (func $peek (param i32) (result i32)))
    (func (export "roundtrip") (param i32) (result i32)
      (i32.store (i32.const 64) (local.get 0))
      (call $peek (i32.const 64))))`;
  const instance = instantiateSync(compileSync(await linkWat(main, { lib })));
  assertEquals((instance.exports.roundtrip as Fn)(123456), 123456);
});

Deno.test("link: a host function imported by two modules is one import of the output", async () => {
  const lib = `(module
    (import "host" "log" (func $log (param i32)))
    (import "host" "tick" (func $tick))
    (func (export "f") (call $tick) (call $log (i32.const 1))))`;
  const main = `(module
    (import "host" "log" (func $log (param i32)))
    (import "lib" "f" (func $f))
    (func (export "run") (call $f) (call $log (i32.const 2))))`;
  const out = await linkWat(main, { lib });
  const module = compileSync(out);
  assertEquals(module.imports(), [
    { module: "host", name: "log", kind: "func", type: "(func (param i32))" },
    { module: "host", name: "tick", kind: "func", type: "(func)" },
  ]);
  // One instance import "host" whose type is the union of the fields.
  const blob = compileBinary(out);
  const type = blob.types.modules[blob.modules[blob.root].type];
  assertEquals(type.imports.map((i) => [i.name, i.type.kind]), [["host", 6]]);
  const { log, seen } = recorder();
  let ticks = 0;
  const instance = instantiateSync(module, { host: { log, tick: () => ticks++ } });
  (instance.exports.run as Fn)();
  assertEquals(seen, [1, 2]);
  assertEquals(ticks, 1);
});

Deno.test("link: a chain given in reverse order is instantiated dependencies first", async () => {
  // Each start function logs its module's number: the order of creation.
  const part = (n: number, imports = "", body = "") =>
    `(module
      (import "host" "log" (func $log (param i32)))
      ${imports}
      (func $start ${body} (call $log (i32.const ${n})))
      (func (export "id") (result i32) (i32.const ${n}))
      (start $start))`;
  const a = part(1, `(import "b" "id" (func $b (result i32)))`, "(drop (call $b))");
  const b = part(2, `(import "c" "id" (func $c (result i32)))`, "(drop (call $c))");
  const c = part(3);
  const main = `(module
    (import "host" "log" (func $log (param i32)))
    (import "a" "id" (func $a (result i32)))
    (func $start (call $log (i32.add (i32.const 10) (call $a))))
    (start $start))`;
  const out = await linkWat(main, { a, b, c });
  assertEquals(instantiationOrder(out), ["c", "b", "a", "main"]);
  const { log, seen } = recorder();
  instantiateSync(compileSync(out), { host: { log } });
  assertEquals(seen, [3, 2, 1, 11]);
});

Deno.test("link: modules nobody imports are instantiated anyway, in the order given", async () => {
  const part = (n: number) =>
    `(module (import "host" "log" (func $log (param i32)))
      (func $s (call $log (i32.const ${n}))) (start $s))`;
  const main = `(module (func (export "f")))`;
  const out = await linkWat(main, { y: part(1), x: part(2), z: part(3) });
  assertEquals(instantiationOrder(out), ["y", "x", "z", "main"]);
  const { log, seen } = recorder();
  instantiateSync(compileSync(out), { host: { log } });
  assertEquals(seen, [1, 2, 3]);
});

Deno.test("link: the order given is kept as far as dependencies allow", async () => {
  // a imports x, then y; y was given before x, and nothing orders them.
  const leaf = `(module (func (export "f")))`;
  const a = `(module (import "x" "f" (func)) (import "y" "f" (func)))`;
  const out = await linkWat(`(module)`, { a, y: leaf, x: leaf });
  assertEquals(instantiationOrder(out), ["y", "x", "a", "main"]);
  // A cycle reached from outside it is named as the cycle alone.
  await assertLinkError(
    "cycle",
    "linked modules import each other in a cycle: p -> q -> p",
    `(module)`,
    {
      top: `(module (import "p" "f" (func)))`,
      p: `(module (import "q" "f" (func)) (func (export "f")))`,
      q: `(module (import "p" "f" (func)) (func (export "f")))`,
    },
  );
});

Deno.test("link: a reactor is initialized before anything that imports it runs", async () => {
  const reactor = `(module
    (import "host" "log" (func $log (param i32)))
    (global $g (mut i32) (i32.const 0))
    (global $calls (mut i32) (i32.const 0))
    (func (export "_initialize")
      (global.set $g (i32.const 42))
      (global.set $calls (i32.add (global.get $calls) (i32.const 1))))
    (func (export "get") (result i32) (global.get $g))
    (func (export "calls") (result i32) (global.get $calls)))`;
  // Another linked module whose start function reads the reactor.
  const user = `(module
    (import "host" "log" (func $log (param i32)))
    (import "r" "get" (func $get (result i32)))
    (func $s (call $log (i32.add (i32.const 1000) (call $get))))
    (start $s))`;
  const main = `(module
    (import "host" "log" (func $log (param i32)))
    (import "r" "get" (func $get (result i32)))
    (import "r" "calls" (func $calls (result i32)))
    (func $s (call $log (call $get)))
    (start $s)
    (func (export "calls") (result i32) (call $calls))
    (func (export "_initialize") (call $log (i32.const 99))))`;
  // Given with the user first: order and initialization both come from the imports.
  const out = await linkWat(main, { user, r: reactor });
  assertEquals(instantiationOrder(out), ["r", "initialize", "user", "main"]);
  // Nested in the order given, main after them, then the one generated module.
  assertEquals(nestedModules(out).map(moduleNameOf), ["user", "r", "main", "initialize"]);
  const { log, seen } = recorder();
  const instance = instantiateSync(compileSync(out), { host: { log } });
  // The user's and main's start functions saw 42; main's own _initialize was
  // not called by the output (its runner does that), but it is exported.
  assertEquals(seen, [1042, 42]);
  assertEquals((instance.exports.calls as Fn)(), 1);
  (instance.exports._initialize as Fn)();
  assertEquals(seen, [1042, 42, 99]);
});

Deno.test("link: two reactors share one generated module, each initialized once, in order", async () => {
  const reactor = (n: number) =>
    `(module (import "host" "log" (func $log (param i32)))
      (func (export "_initialize") (call $log (i32.const ${n}))))`;
  const out = await linkWat(`(module)`, { one: reactor(1), two: reactor(2) });
  assertEquals(instantiationOrder(out), ["one", "initialize", "two", "initialize", "main"]);
  assertEquals(nestedModules(out).map(moduleNameOf), ["one", "two", "main", "initialize"]);
  const { log, seen } = recorder();
  instantiateSync(compileSync(out), { host: { log } });
  assertEquals(seen, [1, 2]);
});

Deno.test("link: module-linking binaries work as main and as a library", async () => {
  const lib = `(module $inner_lib
    (module $impl (func (export "twice") (param i32) (result i32)
      local.get 0 local.get 0 i32.add))
    (instance $i (instantiate $impl))
    (export "twice" (func $i "twice"))
    (export "impl" (module $impl)))`;
  const main = `(module
    (import "lib" "twice" (func $twice (param i32) (result i32)))
    (import "lib" "impl" (module $M (export "twice" (func (param i32) (result i32)))))
    (instance $own (instantiate $M))
    (module $child
      (import "t" (func $t (param i32) (result i32)))
      (func (export "quad") (param i32) (result i32) (call $t (call $t (local.get 0)))))
    (instance $c (instantiate $child (import "t" (func $twice))))
    (export "quad" (func $c "quad"))
    (export "own" (instance $own))
    (export "child" (module $child)))`;
  const out = await linkWat(main, { lib });
  const module = compileSync(out);
  assertEquals(module.exports().map((e) => [e.name, e.kind]), [
    ["quad", "func"],
    ["own", "instance"],
    ["child", "module"],
  ]);
  const { exports } = instantiateSync(module);
  assertEquals((exports.quad as Fn)(3), 12);
  const own = exports.own as { exports: Record<string, unknown> };
  assertEquals((own.exports.twice as Fn)(21), 42);
});

const COUNTER = `(module
  (global $n (mut i32) (i32.const 0))
  (func (export "bump") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1))) (global.get $n)))`;

Deno.test("link: a single-level instance import of a linked name takes its instance", async () => {
  const user = `(module
    (import "lib" "bump" (func $bump (result i32)))
    (func (export "bump") (result i32) (call $bump)))`;
  const main = `(module
    (import "lib" (instance $l (export "bump" (func (result i32)))))
    (import "user" "bump" (func $viaUser (result i32)))
    (func (export "direct") (result i32) (call (func $l "bump")))
    (func (export "viaUser") (result i32) (call $viaUser)))`;
  const out = await linkWat(main, { user, lib: COUNTER });
  assertEquals(instantiationOrder(out), ["lib", "user", "main"]);
  const { exports } = instantiateSync(compileSync(out));
  // One instance of lib, shared by main and user.
  assertEquals((exports.direct as Fn)(), 1);
  assertEquals((exports.viaUser as Fn)(), 2);
  assertEquals((exports.direct as Fn)(), 3);
});

Deno.test("link: a single-level module import of a linked name takes the module itself", async () => {
  const user = `(module
    (import "lib" "bump" (func $bump (result i32)))
    (func (export "bump") (result i32) (call $bump)))`;
  const main = `(module
    (import "lib" (module $L (export "bump" (func (result i32)))))
    (import "user" "bump" (func $linked (result i32)))
    (instance $fresh (instantiate $L))
    (func (export "fresh") (result i32) (call (func $fresh "bump")))
    (func (export "linked") (result i32) (call $linked)))`;
  // Main is not instantiated after lib on account of its module import: lib
  // comes first only because user needs its instance.
  const out = await linkWat(main, { user, lib: COUNTER });
  assertEquals(instantiationOrder(out), ["lib", "user", "main"]);
  const { exports } = instantiateSync(compileSync(out));
  // Main's own instance of the module has its own state.
  assertEquals((exports.linked as Fn)(), 1);
  assertEquals((exports.linked as Fn)(), 2);
  assertEquals((exports.fresh as Fn)(), 1);
  // A module import needs no instance: a imports b's module, b imports a's
  // instance, and that is no cycle.
  const a = `(module
    (import "b" (module $B (import "a" (instance (export "one" (func (result i32)))))))
    (func (export "one") (result i32) (i32.const 1)))`;
  const b = `(module
    (import "a" "one" (func $one (result i32)))
    (func (export "two") (result i32) (i32.add (call $one) (call $one))))`;
  const chain = await linkWat(
    `(module (import "b" "two" (func $two (result i32)))
      (func (export "two") (result i32) (call $two)))`,
    { b, a },
  );
  assertEquals(instantiationOrder(chain), ["a", "b", "main"]);
  assertEquals((instantiateSync(compileSync(chain)).exports.two as Fn)(), 2);
});

Deno.test("link: other single-level imports pass through with their type", async () => {
  const lib = `(module
    (import "limit" (global i32))
    (func (export "limit") (result i32) (global.get 0)))`;
  const main = `(module
    (import "limit" (global $limit i32))
    (import "lib" "limit" (func $f (result i32)))
    (func (export "both") (result i32) (i32.add (global.get $limit) (call $f))))`;
  const out = await linkWat(main, { lib });
  const module = compileSync(out);
  assertEquals(module.imports(), [{
    module: "limit",
    name: null,
    kind: "global",
    type: "(global i32)",
  }]);
  const { exports } = instantiateSync(module, {
    limit: new WebAssembly.Global({ value: "i32" }, 20),
  });
  assertEquals((exports.both as Fn)(), 40);
});

Deno.test("link: a single-level host instance import joins the two-level imports of its name", async () => {
  const lib = `(module
    (import "env" (instance $env (export "a" (func (result i32)))))
    (func (export "a") (result i32) (call (func $env "a"))))`;
  const main = `(module
    (import "env" "b" (func $b (result i32)))
    (import "lib" "a" (func $a (result i32)))
    (func (export "sum") (result i32) (i32.add (call $a) (call $b))))`;
  const module = compileSync(await linkWat(main, { lib }));
  assertEquals(module.imports().map((i) => `${i.module} ${i.name}`), ["env b", "env a"]);
  const { exports } = instantiateSync(module, { env: { a: () => 1, b: () => 2 } });
  assertEquals((exports.sum as Fn)(), 3);
});

Deno.test("link: imported instances and modules shift the output's index spaces correctly", async () => {
  // "env" "sub" is an instance field: it takes an instance index after the
  // implicit instance "env"; "plugin" is a module: it precedes the nested ones.
  const lib = `(module
    (import "env2" "g" (func $g (result i32)))
    (func (export "g") (result i32) (call $g)))`;
  const main = `(module
    (import "env" "sub" (instance $sub (export "f" (func (result i32)))))
    (import "env2" "g" (func $g (result i32)))
    (import "plugin" (module $P (export "p" (func (result i32)))))
    (import "lib" "g" (func $lg (result i32)))
    (instance $p (instantiate $P))
    (func (export "sum") (result i32)
      (i32.add (i32.add (call (func $sub "f")) (call $g))
        (i32.add (call (func $p "p")) (call $lg))))
    (global (export "g") i32 (i32.const 5))
    (memory (export "mem") 1))`;
  const out = await linkWat(main, { lib });
  const module = compileSync(out);
  assertEquals(module.imports().map((i) => [i.module, i.name, i.kind]), [
    ["env", "sub", "instance"],
    ["env2", "g", "func"],
    ["plugin", null, "module"],
  ]);
  assertEquals(module.exports().map((e) => [e.name, e.type]), [
    ["sum", "(func (result i32))"],
    ["g", "(global i32)"],
    ["mem", "(memory 1)"],
  ]);
  const plugin = compileSync(
    await parseWat(`(module (func (export "p") (result i32) (i32.const 100)))`),
  );
  const { exports } = instantiateSync(module, {
    env: { sub: { f: () => 1000 } },
    env2: { g: () => 10 },
    plugin,
  });
  assertEquals((exports.sum as Fn)(), 1120);
  assertEquals((exports.g as WebAssembly.Global).value, 5);
  assertInstanceOf(exports.mem, WebAssembly.Memory);
});

Deno.test("link: the output round-trips through the binary format", async () => {
  const out = await linkWat(MAIN, { lib: LIB });
  assertEquals(encode(decode(out)), out);
});

Deno.test("link: nested modules are named, and only the name section changes", async () => {
  const named = await parseWat(LIB.replace("(module", "(module $lib"));
  const unnamed = await parseWat(LIB);
  const main = await parseWat(MAIN);
  const out1 = link({ name: "main.wasm", bytes: main }, [{ name: "lib", bytes: named }]);
  assertEquals(encode(nestedModules(out1)[0]), named, "already named: reproduced");
  const out2 = link({ name: "main.wasm", bytes: main }, [{ name: "lib", bytes: unnamed }]);
  const nested = nestedModules(out2);
  const bytes = encode(nested[0]);
  assertEquals(bytes.subarray(0, unnamed.length), unnamed, "a name section is appended");
  assertEquals(moduleNameOf(nested[0]), "lib");
  assertEquals(moduleNameOf(nested[1]), "main", "an unnamed main is called main");
  assertEquals(moduleNameOf(decode(out2)), undefined);
  const out3 = link({ name: "main.wasm", bytes: main }, [{ name: "lib", bytes: unnamed }], {
    name: "app",
  });
  assertEquals(compileSync(out3).name, "app");
});

Deno.test("link: a module's own name is replaced, its other name subsections kept", () => {
  // name section: module name "other", then a function-names subsection.
  const nameData = new Uint8Array([
    ...[0, 6, 5, ...new TextEncoder().encode("other")],
    ...[1, 6, 1, 0, 3, 0x61, 0x64, 0x64], // function 0 is "add"
  ]);
  const lib = bin(
    types(func()),
    funcs(0),
    exports(ex("f", 0, 0)),
    code([]),
    { id: 0, name: "name", data: nameData },
  );
  const main = bin();
  const out = link({ name: "main.wasm", bytes: main }, [{ name: "greeter", bytes: lib }]);
  const nested = nestedModules(out)[0];
  assertEquals(moduleNameOf(nested), "greeter");
  const section = nested.sections.at(-1)!;
  if (section.id !== 0) throw new Error("expected the name section last");
  assertEquals(
    section.data,
    new Uint8Array([
      ...[0, 8, 7, ...new TextEncoder().encode("greeter")],
      ...nameData.subarray(8),
    ]),
  );
  compileSync(out);
});

Deno.test("link: errors in a nested module name it", () => {
  // A library whose function body is invalid: linking is pure, compiling the output fails.
  const bad = bin(types(func([], [0x7f])), funcs(0), code([0x01])); // nop, no result
  const out = link({ name: "main.wasm", bytes: bin() }, [{ name: "broken", bytes: bad }]);
  const e = assertThrows(() => compileSync(out), CompileError);
  assert(e.message.startsWith("module $broken: invalid core module:"), e.message);
});

Deno.test("link: a dependency cycle is named", async () => {
  const a = `(module (import "b" "f" (func)) (func (export "f")))`;
  const b = `(module (import "a" "f" (func)) (func (export "f")))`;
  await assertLinkError(
    "cycle",
    "linked modules import each other in a cycle: a -> b -> a",
    `(module (import "a" "f" (func)))`,
    { a, b },
  );
  await assertLinkError(
    "cycle",
    "linked modules import each other in a cycle: s -> s",
    `(module)`,
    { s: `(module (import "s" "f" (func)) (func (export "f")))` },
  );
});

Deno.test("link: a missing export lists what the module exports", async () => {
  await assertLinkError(
    "missing-export",
    'main.wasm imports "greeter" "greet", but module greeter exports no "greet"; it exports: "hello", "memory"',
    `(module (import "greeter" "greet" (func)))`,
    { greeter: `(module (func (export "hello")) (memory (export "memory") 1))` },
  );
  await assertLinkError(
    "missing-export",
    'module a imports "b" "x", but module b exports no "x"; it exports nothing',
    `(module)`,
    { a: `(module (import "b" "x" (func)))`, b: `(module)` },
  );
});

Deno.test("link: kind and type mismatches name both modules, the field and both types", async () => {
  await assertLinkError(
    "mismatch",
    'main.wasm imports "lib" "add" as (func (param i32) (result i32)), but module lib exports "add" as (func (param i32 i32) (result i32))',
    `(module (import "lib" "add" (func (param i32) (result i32))))`,
    { lib: LIB },
  );
  await assertLinkError(
    "mismatch",
    'main.wasm imports "lib" "memory" as (func), but module lib exports "memory" as (memory 1)',
    `(module (import "lib" "memory" (func)))`,
    { lib: LIB },
  );
  await assertLinkError(
    "mismatch",
    'main.wasm imports "lib" "memory" as (memory 2), but module lib exports "memory" as (memory 1)',
    `(module (import "lib" "memory" (memory 2)))`,
    { lib: LIB },
  );
  // Through a single-level instance import, field by field.
  await assertLinkError(
    "mismatch",
    'main.wasm imports "lib" "add" as (func), but module lib exports "add" as (func (param i32 i32) (result i32))',
    `(module (import "lib" (instance (export "add" (func)))))`,
    { lib: LIB },
  );
  await assertLinkError(
    "mismatch",
    'main.wasm imports "lib" as (module (export "sub" (func))), but module lib does not match that type: missing export "sub"',
    `(module (import "lib" (module (export "sub" (func)))))`,
    { lib: LIB },
  );
  await assertLinkError(
    "mismatch",
    'main.wasm imports "lib" as (func) (a single-level func import), but "lib" is a linked module: ' +
      'import it as an instance, as a module, or field by field ("lib" "name")',
    `(module (import "lib" (func)))`,
    { lib: LIB },
  );
});

Deno.test("link: outside imports of one name must agree", async () => {
  await assertLinkError(
    "conflict",
    '"host" "log" is imported with two different types: main.wasm imports it as (func (param i32)), module lib as (func (param i64))',
    `(module (import "host" "log" (func (param i32))))`,
    { lib: `(module (import "host" "log" (func (param i64))))` },
  );
  await assertLinkError(
    "conflict",
    '"x" is imported with two different types: main.wasm imports it as (global i32), module lib as (global (mut i32))',
    `(module (import "x" (global i32)))`,
    { lib: `(module (import "x" (global (mut i32))))` },
  );
  await assertLinkError(
    "conflict",
    '"x" is imported as an instance ("x" "…") by main.wasm, but as (func) by module lib',
    `(module (import "x" "f" (func)))`,
    { lib: `(module (import "x" (func)))` },
  );
  await assertLinkError(
    "conflict",
    '"x" is imported as (func) by main.wasm, but as an instance ("x" "…") by module lib',
    `(module (import "x" (func)))`,
    { lib: `(module (import "x" "f" (func)))` },
  );
});

Deno.test("link: a reactor's _initialize must be (func)", async () => {
  await assertLinkError(
    "reactor",
    'module r exports "_initialize" as (func (param i32)), but a reactor\'s "_initialize" must be (func): ' +
      "the linked module calls it with no arguments right after instantiating r",
    `(module)`,
    { r: `(module (func (export "_initialize") (param i32)))` },
  );
  await assertLinkError(
    "reactor",
    'module r exports "_initialize" as (global i32), but a reactor\'s "_initialize" must be (func): ' +
      "the linked module calls it with no arguments right after instantiating r",
    `(module)`,
    { r: `(module (global (export "_initialize") i32 (i32.const 0)))` },
  );
});

Deno.test("link: module names must be nonempty, valid and distinct", () => {
  const main = { name: "main.wasm", bytes: bin() };
  const check = (modules: LinkInput[], code: LinkToolErrorCode, message: string) => {
    const e = assertThrows(() => link(main, modules), LinkToolError);
    assertEquals([e.code, e.message], [code, message]);
  };
  check([{ name: "", bytes: bin() }], "name", "linked module 0 has an empty name");
  check(
    [{ name: "a", bytes: bin() }, { name: "\ud800", bytes: bin() }],
    "name",
    'linked module 1 has a name that is not valid Unicode (a lone surrogate): "\\ud800"',
  );
  check(
    [{ name: "a", bytes: bin() }, { name: "a", bytes: bin() }],
    "duplicate",
    'two linked modules are named "a": each name can be linked once',
  );
  check(
    [{ name: "a", bytes: "nope" as unknown as Uint8Array }],
    "input",
    "linked module 0 must be { name: string, bytes: Uint8Array }",
  );
  // A name nobody imports is fine.
  compileSync(link(main, [{ name: "unused", bytes: bin() }]));
});

Deno.test("link: bad bytes are a CompileError that names the input", async () => {
  const garbage = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  let e = assertThrows(
    () => link({ name: "main.wasm", bytes: bin() }, [{ name: "lib", bytes: garbage }]),
    CompileError,
  );
  assertEquals(e.message, "module lib: magic header not detected (at byte offset 0x0)");
  assertEquals(e.path, ["module lib"]);
  // Invalid module linking inside the main module.
  const invalid = await parseWat(`(module (module $c) (instance (instantiate $c)))`);
  const ir = decode(invalid);
  ((ir.sections.find((s) => s.id === 15) as InstanceSection).instances[0] as InstantiateDef)
    .module = 7;
  e = assertThrows(() => link({ name: "app.wasm", bytes: encode(ir) }, []), CompileError);
  assert(e.message.startsWith("app.wasm: instantiate: module index 7 out of bounds"), e.message);
  assertInstanceOf(e.cause, CompileError);
});

Deno.test("parseModuleSpec: NAME=FILE", () => {
  assertEquals(parseModuleSpec("greeter=build/greeter.wasm"), {
    name: "greeter",
    path: "build/greeter.wasm",
  });
  assertEquals(parseModuleSpec("a=b=c.wasm"), { name: "a", path: "b=c.wasm" });
  for (
    const [spec, message] of [
      [
        "greeter.wasm",
        'expected NAME=FILE (the module name its importers use, then its file), got "greeter.wasm"',
      ],
      ["=x.wasm", 'missing module name before "=" in "=x.wasm"'],
      ["x=", 'missing file after "=" in "x="'],
      ["\udc00=x", 'module name in "\\udc00=x" is not valid Unicode'],
    ]
  ) {
    const e = assertThrows(() => parseModuleSpec(spec), LinkToolError);
    assertEquals([e.code, e.message], ["spec", message]);
  }
});
