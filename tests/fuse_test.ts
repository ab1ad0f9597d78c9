/**
 * Fused compilation (`lib/fuse/`, `docs/fusion.md`): which modules fuse,
 * and that a fused module behaves as its separate instances would — the
 * order instances start in, a trap midway, identities of what it exports,
 * host functions that need their caller, the instance budget, errors with
 * their nested paths, and artifacts. The random programs of
 * `differential_test.ts` compare fused and unfused runs more widely.
 */

import { assert, assertEquals, assertStrictEquals, assertThrows } from "@std/assert";
import {
  ArtifactError,
  compile,
  CompileError,
  compileSync,
  type Instance,
  instantiateSync,
  LinkError,
  Module,
  parseWat,
  withCaller,
} from "../mod.ts";
import type { FusedModule, FusedStep } from "../lib/compiled.ts";
import { moduleParts } from "../lib/runtime/module.ts";

const CHAIN = `(module
  (import "host" "log" (func $log (param i32)))
  (module $a
    (import "log" (func $log (param i32)))
    (func $f (export "f") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
    (func $s (call $log (i32.const 1))) (start $s))
  (instance $a (instantiate $a (import "log" (func $log))))
  (module $b
    (import "log" (func $log (param i32)))
    (import "f" (func $f (param i32) (result i32)))
    (func (export "g") (param i32) (result i32) (call $f (call $f (local.get 0))))
    (func $s (call $log (i32.const 2))) (start $s))
  (instance $b (instantiate $b (import "log" (func $log)) (import "f" (func $a "f"))))
  (func $s (call $log (i32.const 3))) (start $s)
  (export "g" (func $b "g"))
  (export "f" (func $a "f"))
  (export "f again" (func $a "f"))
  (export "a" (instance $a))
  (export "log" (func $log)))`;

function run(module: Module, log: (n: number) => void = () => {}): Instance {
  return instantiateSync(module, { host: { log } });
}

Deno.test("a closed graph fuses by default; fuse: false keeps separate instances", async () => {
  const fused = await compile(CHAIN);
  assertEquals(fused.fusion(), {
    fused: true,
    instances: ["module $a", "module $b", "the module itself"],
  });
  const separate = await compile(CHAIN, { fuse: false });
  assertEquals(separate.fusion().fused, false);
  for (const module of [fused, separate]) {
    const order: number[] = [];
    const { exports } = run(module, (n) => order.push(n));
    assertEquals(order, [1, 2, 3], "start functions run in instantiation order");
    assertEquals((exports.g as (x: number) => number)(5), 7);
  }
});

Deno.test("fused exports keep their identities", async () => {
  const log = () => {};
  for (const fuse of [true, false]) {
    const { exports } = run(await compile(CHAIN, { fuse }), log);
    assertStrictEquals(exports.f, exports["f again"], "a function exported twice is one object");
    assertStrictEquals(
      (exports.a as Instance).exports.f,
      exports.f,
      "and the same in its instance",
    );
    assertStrictEquals(exports.log, log, "a host function passed through is itself");
    assert(Object.isFrozen(exports));
  }
});

Deno.test("a global exported twice through an instance is one object, as unfused", async () => {
  const text = `(module
    (module $m (global (export "g") (mut i32) (i32.const 1)) (global (export "h") (mut i32) (i32.const 2)))
    (instance $i (instantiate $m))
    (module $n (import "g" (global (mut i32))) (export "again" (global 0)))
    (instance $j (instantiate $n (import "g" (global $i "g"))))
    (export "g" (global $i "g"))
    (export "again" (global $j "again"))
    (export "h" (global $i "h")))`;
  for (const fuse of [true, false]) {
    const module = await compile(text, { fuse });
    assertEquals(module.fusion().fused, fuse);
    const { exports } = instantiateSync(module);
    assertStrictEquals(exports.g, exports.again);
    assert(exports.g !== exports.h);
    (exports.g as WebAssembly.Global).value = 9;
    assertEquals((exports.again as WebAssembly.Global).value, 9);
  }
});

Deno.test("a trap midway leaves imported state as separate instances do, later segments unapplied", async () => {
  const text = `(module
    (import "host" "mem" (memory 1))
    (module $first (import "mem" (memory 1)) (data (i32.const 0) "\\01\\02"))
    (instance (instantiate $first (import "mem" (memory 0))))
    (module $trapper (import "mem" (memory 1)) (func $s unreachable) (start $s)
      (data (i32.const 8) "\\03"))
    (instance (instantiate $trapper (import "mem" (memory 0))))
    (module $last (import "mem" (memory 1)) (data (i32.const 16) "\\04"))
    (instance (instantiate $last (import "mem" (memory 0)))))`;
  for (const fuse of [true, false]) {
    const module = await compile(text, { fuse });
    assertEquals(module.fusion().fused, fuse);
    const mem = new WebAssembly.Memory({ initial: 1 });
    assertThrows(() => instantiateSync(module, { host: { mem } }), WebAssembly.RuntimeError);
    const bytes = new Uint8Array(mem.buffer);
    assertEquals([...bytes.subarray(0, 2)], [1, 2], "the first instance's data");
    assertEquals(bytes[8], 3, "the trapping instance's data, applied before its start");
    assertEquals(bytes[16], 0, "the last instance never ran");
  }
});

Deno.test("a segment out of bounds traps after the segments before it", async () => {
  const text = `(module
    (import "host" "mem" (memory 1))
    (module $m (import "mem" (memory 1))
      (data (i32.const 0) "\\05") (data (i32.const 70000) "\\06") (data (i32.const 4) "\\07"))
    (instance (instantiate $m (import "mem" (memory 0)))))`;
  for (const fuse of [true, false]) {
    const mem = new WebAssembly.Memory({ initial: 1 });
    const module = await compile(text, { fuse });
    assertThrows(() => instantiateSync(module, { host: { mem } }), WebAssembly.RuntimeError);
    const bytes = new Uint8Array(mem.buffer);
    assertEquals([bytes[0], bytes[4]], [5, 0]);
  }
});

Deno.test("a host function that needs its caller runs the separate instances", async () => {
  const text = `(module
    (import "host" "peek" (func $peek (param i32) (result i32)))
    (module $m (import "peek" (func $peek (param i32) (result i32)))
      (memory (export "memory") 1) (data (i32.const 8) "\\2a")
      (func (export "run") (result i32) (call $peek (i32.const 8))))
    (instance $i (instantiate $m (import "peek" (func $peek))))
    (export "run" (func $i "run")))`;
  const module = await compile(text);
  assert(module.fusion().fused);
  const peek = withCaller((caller) => (at: number) => new Uint8Array(caller.memory().buffer)[at]);
  const { exports } = instantiateSync(module, { host: { peek } });
  assertEquals((exports.run as () => number)(), 42, "it read the nested instance's memory");
  // Plain host functions still take the fused path afterwards.
  const plain = instantiateSync(module, { host: { peek: () => 7 } });
  assertEquals((plain.exports.run as () => number)(), 7);
});

Deno.test("a wasm function of the wrong type fails where separate instances fail", async () => {
  const text = `(module
    (import "host" "log" (func $log (param i32)))
    (module $first (import "log" (func (param i32))) (func $s (call 0 (i32.const 1))) (start $s))
    (instance (instantiate $first (import "log" (func $log))))
    (module $second (import "log" (func (param i32))))
    (instance (instantiate $second (import "log" (func $log)))))`;
  const other = new WebAssembly.Instance(
    new WebAssembly.Module(
      // (module (func (export "f") (param i64)))
      new Uint8Array([
        0,
        97,
        115,
        109,
        1,
        0,
        0,
        0,
        1,
        5,
        1,
        96,
        1,
        126,
        0,
        3,
        2,
        1,
        0,
        7,
        5,
        1,
        1,
        102,
        0,
        0,
        10,
        4,
        1,
        2,
        0,
        11,
      ]),
    ),
  ).exports.f;
  for (const fuse of [true, false]) {
    const module = await compile(text, { fuse });
    const e = assertThrows(() => instantiateSync(module, { host: { log: other } }), LinkError);
    assert(e.message.includes("module $first"), e.message);
  }
});

Deno.test("the instance budget counts fused instances, and fails where separate instances fail", async () => {
  const module = await compile(CHAIN);
  assert(module.fusion().fused);
  for (const fuse of [true, false]) {
    const loaded = await compile(CHAIN, { fuse });
    const order: number[] = [];
    const e = assertThrows(
      () =>
        instantiateSync(loaded, { host: { log: (n: number) => order.push(n) } }, {
          maxInstances: 2,
        }),
      LinkError,
    );
    assert(e.message.includes("at most 2 instances"), e.message);
    assertEquals(order, [1], `fuse: ${fuse}: $a started before the limit stopped $b`);
  }
  instantiateSync(module, { host: { log() {} } }, { maxInstances: 3 });
});

Deno.test("stack exhaustion in a fused instance's start names that instance", async () => {
  const module = await compile(`(module
    (module $ok (func (export "f")))
    (instance (instantiate $ok))
    (module $deep (func $f call $f) (start $f))
    (instance (instantiate $deep)))`);
  assert(module.fusion().fused);
  const e = assertThrows(() => instantiateSync(module), WebAssembly.RuntimeError);
  assert(e.message.includes("module $deep"), e.message);
});

Deno.test("what does not fuse says why, and runs as before", async () => {
  const cases: [string, string][] = [
    [`(module (func (export "f")))`, "instantiates no module"],
    [
      `(module (import "m" (module $m)) (instance (instantiate $m)))`,
      "known only at run time",
    ],
    [
      `(module (module $c (func)) (instance (instantiate $c)) (instance (instantiate $c)))`,
      "instantiated more than 1 times",
    ],
  ];
  for (const [text, reason] of cases) {
    const report = (await compile(text)).fusion();
    assert(!report.fused && report.reason.includes(reason), JSON.stringify(report));
  }
});

Deno.test("a fused module's artifact keeps its fused form, and runs without compiling again", async () => {
  const module = await compile(CHAIN);
  const loaded = Module.deserialize(module.serialize());
  assertEquals(loaded.fusion(), module.fusion());
  const order: number[] = [];
  const { exports } = run(loaded, (n) => order.push(n));
  assertEquals(order, [1, 2, 3]);
  assertEquals((exports.g as (x: number) => number)(1), 3);
  assertEquals(
    [...module.serialize()],
    [...loaded.serialize()],
    "serializing again gives the same artifact",
  );
});

Deno.test("a crafted fused form in an artifact is refused, not run", async () => {
  const module = await compile(CHAIN);
  const { blob, index } = moduleParts(module);
  const fusion = blob.compiled.modules[index].fusion as FusedModule;
  assert(!("reason" in fusion));
  const tamper = async (change: (f: FusedModule) => FusedModule) => {
    const { writeArtifact } = await import("../lib/artifact/write.ts");
    const modules = blob.compiled.modules.slice();
    modules[index] = { ...modules[index], fusion: change(fusion) };
    return writeArtifact({
      blobs: [{ ...blob.compiled, modules }],
      nodes: [{ blob: 0, module: index, upvars: [] }],
      root: 0,
    });
  };
  const outOfRange = await tamper((f) => ({
    ...f,
    exports: f.exports.map((e) => ({ ...e, from: "space" as const, index: 99 })),
  }));
  assertThrows(() => Module.deserialize(outOfRange), ArtifactError, "out of range");
  const wrongBuilt = await tamper((f) => ({
    ...f,
    exports: f.exports.map((e) => e.kind === 6 ? { ...e, index: 5 } : e),
  }));
  assertThrows(() => Module.deserialize(wrongBuilt), ArtifactError, "built instance out of range");
  // A core module that does not export what the fused form reads fails when compiled, named.
  const noExports = await tamper((f) => ({
    ...f,
    exports: f.exports.map((e) => e.from === "core" ? { ...e, core: "nope" } : e),
  }));
  const loaded = Module.deserialize(noExports);
  assertThrows(() => run(loaded), Error, "core module does not match");
  // Paths written as what they share with the one before: a few bytes each
  // may not stand for strings out of all proportion to the artifact.
  const long = "a".repeat(4_000);
  const amplified = await tamper((f) => ({
    ...f,
    instances: Array.from({ length: 5_000 }, (_, i) => `${long}${i}`),
  }));
  assert(amplified.length < 100_000, `${amplified.length} bytes`);
  assertThrows(() => Module.deserialize(amplified), ArtifactError, "fused instance paths longer");
});

Deno.test("fused instance paths round-trip through an artifact, in any order, any characters", async () => {
  // The artifact writes each path as what it shares with the one before,
  // then the rest: deepest first, shallowest first, and a shared prefix
  // that ends inside a surrogate pair (two emoji alike in their first half).
  const module = await compile(CHAIN);
  const { blob, index } = moduleParts(module);
  const fusion = blob.compiled.modules[index].fusion as FusedModule;
  const { writeArtifact } = await import("../lib/artifact/write.ts");
  const orders = [
    ["module $a > module $😀 > module $c", "module $a > module $😁", "module $a"],
    ["", "module $x", "module $x > module $x > module $x"],
    ["module $😀", "module $😁", "module $😀 > module $😀"],
  ];
  for (const instances of orders) {
    const modules = blob.compiled.modules.slice();
    modules[index] = { ...modules[index], fusion: { ...fusion, instances } };
    const artifact = writeArtifact({
      blobs: [{ ...blob.compiled, modules }],
      nodes: [{ blob: 0, module: index, upvars: [] }],
      root: 0,
    });
    assertEquals(Module.deserialize(artifact).fusion(), { fused: true, instances });
  }
});

Deno.test("a core module invalid on its own is refused, though it would be valid fused", async () => {
  // $b takes a reference to a function it imports without declaring it
  // (no element segment, export or global names it): invalid core wasm.
  // Fused, $a's export would declare the function for the whole module,
  // so fusion must not stand in for validating each core module.
  const text = `(module
    (module $a (func (export "f")))
    (instance $a (instantiate $a))
    (module $b
      (import "f" (func $f))
      (func (export "r") (result funcref) (ref.func $f)))
    (instance $b (instantiate $b (import "f" (func $a "f"))))
    (export "r" (func $b "r")))`;
  const bytes = await parseWat(text);
  for (const fuse of [true, false]) {
    const error = assertThrows(() => compileSync(bytes, { fuse }), CompileError);
    assert(error.offset !== undefined && error.offset > 0, `fuse: ${fuse}: ${error.message}`);
  }
});

/** The imports of the mixed programs below: a host function, and a module the host gives (`PLUGIN`). */
const HOST_AND_PLUGIN = `(import "host" "log" (func $log (param i32)))
  (import "plugin" (module $plugin
    (import "log" (func (param i32)))
    (export "p" (func (result i32)))))`;

/** A root that instantiates a module the host gives, around a nested module whose graph is closed. */
const MIXED = `(module
  ${HOST_AND_PLUGIN}
  (module $app
    (import "log" (func $log (param i32)))
    (import "p" (func $p (result i32)))
    (module $a
      (import "log" (func $log (param i32)))
      (func $f (export "f") (result i32) (i32.const 10))
      (func $s (call $log (i32.const 2))) (start $s))
    (instance $a (instantiate $a (import "log" (func $log))))
    (module $b
      (import "log" (func $log (param i32)))
      (import "f" (func $f (result i32)))
      (import "p" (func $p (result i32)))
      (func (export "g") (result i32) (i32.add (call $f) (call $p)))
      (func $s (call $log (i32.const 3))) (start $s))
    (instance $b (instantiate $b
      (import "log" (func $log)) (import "f" (func $a "f")) (import "p" (func $p))))
    (func $s (call $log (i32.const 4))) (start $s)
    (export "g" (func $b "g"))
    (export "p" (func $p)))
  (instance $first (instantiate $plugin (import "log" (func $log))))
  (instance $app (instantiate $app (import "log" (func $log)) (import "p" (func $first "p"))))
  (instance $second (instantiate $plugin (import "log" (func $log))))
  (export "g" (func $app "g"))
  (export "p" (func $first "p"))
  (export "app p" (func $app "p"))
  (export "app" (module $app)))`;

const PLUGIN = `(module
  (import "log" (func $log (param i32)))
  (func (export "p") (result i32) (i32.const 5))
  (func $s (call $log (i32.const 1))) (start $s))`;

Deno.test("a mixed graph fuses its closed parts: nested modules run fused among separate instances", async () => {
  const plugin = await compile(PLUGIN);
  const mixed = await compile(MIXED);
  const report = mixed.fusion();
  assert(!report.fused && report.reason.includes("known only at run time"), JSON.stringify(report));
  assertEquals(report.nested, [
    { module: "module $app", instances: ["module $a", "module $b", "the module itself"] },
  ]);
  const separate = await compile(MIXED, { fuse: false });
  assertEquals(separate.fusion().nested, undefined);
  const runs = [mixed, Module.deserialize(mixed.serialize()), separate].map((module) => {
    const order: number[] = [];
    const { exports } = instantiateSync(module, {
      host: { log: (n: number) => order.push(n) },
      plugin,
    });
    return { order, exports };
  });
  for (const { order, exports } of runs) {
    assertEquals(order, [1, 2, 3, 4, 1], "starts in instantiation order, around the fused part");
    assertEquals((exports.g as () => number)(), 15);
    // The plugin's function passed through the fused instance keeps its identity.
    assertStrictEquals(exports["app p"], exports.p);
  }
  // A module value the host instantiates later runs its fused form too.
  const app = runs[0].exports.app as Module;
  assertEquals(app.fusion().fused, true);
  const order: number[] = [];
  const later = instantiateSync(app, {
    log: (n: number) => order.push(n),
    p: () => 7,
  });
  assertEquals([order, (later.exports.g as () => number)()], [[2, 3, 4], 17]);
});

Deno.test("a module instantiated twice is not copied: its second instance fuses with what follows", async () => {
  const text = `(module
    (module $c (global (export "n") (mut i32) (i32.const 0)))
    (instance $c1 (instantiate $c))
    (instance $c2 (instantiate $c))
    (module $pair
      (module $x (func (export "x") (result i32) (i32.const 1)))
      (instance $x (instantiate $x))
      (module $y
        (import "x" (func $x (result i32)))
        (func (export "y") (result i32) (i32.add (call $x) (i32.const 1))))
      (instance $y (instantiate $y (import "x" (func $x "x"))))
      (export "y" (func $y "y")))
    (instance $p (instantiate $pair))
    (export "y" (func $p "y"))
    (export "n1" (global $c1 "n"))
    (export "n2" (global $c2 "n")))`;
  const module = await compile(text);
  const report = module.fusion();
  assert(!report.fused && report.reason.includes("more than 1 times"), JSON.stringify(report));
  // $c's first instance runs alone; its second and $pair's graph fuse as one step.
  assertEquals(report.steps, [{
    instances: [
      "module $c",
      "module $pair > module $x",
      "module $pair > module $y",
      "module $pair",
    ],
  }]);
  for (const loaded of [module, Module.deserialize(module.serialize())]) {
    const { exports } = instantiateSync(loaded);
    assertEquals((exports.y as () => number)(), 2);
    assert(exports.n1 !== exports.n2, "each instance of $c has its own global");
  }
});

Deno.test("nested modules that close over outer modules fuse when those are defined, not imported", async () => {
  const text = `(module
    (import "host" (module $imported (export "f" (func (result i32)))))
    (module $leaf (func (export "f") (result i32) (i32.const 3)))
    (module $m
      (instance $l (instantiate (module outer 0 $leaf)))
      (module $n (func (export "g") (result i32) (i32.const 4)))
      (instance $n (instantiate $n))
      (export "f" (func $l "f"))
      (export "g" (func $n "g")))
    (module $dynamic
      (instance $i (instantiate (module outer 0 $imported)))
      (module $n (func (export "g") (result i32) (i32.const 6)))
      (instance $n (instantiate $n))
      (export "f" (func $i "f"))
      (export "g" (func $n "g")))
    (module $keeps
      (alias outer 0 $leaf (module $captured))
      (module $n (func (export "g") (result i32) (i32.const 5)))
      (instance $n (instantiate $n))
      (export "leaf" (module $captured))
      (export "g" (func $n "g")))
    (instance $leaf1 (instantiate $leaf))
    (export "m" (module $m))
    (export "dynamic" (module $dynamic))
    (export "keeps" (module $keeps))
    (export "f" (func $leaf1 "f")))`;
  const host = await compile(`(module (func (export "f") (result i32) (i32.const 9)))`);
  const module = await compile(text);
  const report = module.fusion();
  assertEquals(report, {
    fused: true,
    instances: ["module $leaf", "the module itself"],
    nested: [
      { module: "module $m", instances: ["module $leaf", "module $n", "the module itself"] },
      { module: "module $keeps", instances: ["module $n", "the module itself"] },
    ],
  });
  for (const loaded of [module, Module.deserialize(module.serialize())]) {
    const { exports } = instantiateSync(loaded, { host });
    assertEquals((exports.f as () => number)(), 3);
    // $m instantiates $leaf, which its parent defines: known, so fused in.
    const m = exports.m as Module;
    assertEquals(m.fusion().fused, true);
    const inner = instantiateSync(m).exports;
    assertEquals([(inner.f as () => number)(), (inner.g as () => number)()], [3, 4]);
    // $dynamic instantiates the module its parent imports: known only at run time.
    const dynamic = exports.dynamic as Module;
    const own = dynamic.fusion();
    assert(!own.fused && own.reason.includes("known only at run time"), JSON.stringify(own));
    const d = instantiateSync(dynamic).exports;
    assertEquals([(d.f as () => number)(), (d.g as () => number)()], [9, 6]);
    // One that only passes the module it closes over on fuses, and passes the same module.
    const keeps = exports.keeps as Module;
    assertEquals(keeps.fusion(), { fused: true, instances: ["module $n", "the module itself"] });
    const kept = instantiateSync(keeps).exports;
    assertEquals((kept.g as () => number)(), 5);
    const leaf = instantiateSync(kept.leaf as Module).exports;
    assertEquals((leaf.f as () => number)(), 3);
  }
});

/**
 * A top level that instantiates a module the host gives first, then two
 * siblings (each instantiating nothing) that take its export: the siblings
 * run as one fused step.
 */
const SIBLINGS = `(module
  ${HOST_AND_PLUGIN}
  (module $a
    (import "log" (func $log (param i32)))
    (memory (export "memory") 1)
    (func $f (export "f") (result i32) (i32.const 10))
    (func (export "ping") (call $log (i32.const 7)))
    (func $s (call $log (i32.const 2))) (start $s))
  (module $b
    (import "log" (func $log (param i32)))
    (import "f" (func $f (result i32)))
    (import "p" (func $p (result i32)))
    (func (export "g") (result i32) (i32.add (call $f) (call $p)))
    (func $s (call $log (i32.const 3))) (start $s))
  (instance $first (instantiate $plugin (import "log" (func $log))))
  (instance $a (instantiate $a (import "log" (func $log))))
  (instance $b (instantiate $b
    (import "log" (func $log)) (import "f" (func $a "f")) (import "p" (func $first "p"))))
  (instance $second (instantiate $plugin (import "log" (func $log))))
  (export "g" (func $b "g"))
  (export "p" (func $first "p"))
  (export "a" (instance $a))
  (export "f" (func $a "f")))`;

Deno.test("siblings next to a module the host gives fuse as one step, in order", async () => {
  const plugin = await compile(PLUGIN);
  const module = await compile(SIBLINGS);
  const report = module.fusion();
  assert(!report.fused, JSON.stringify(report));
  assertEquals(report.steps, [{ instances: ["module $a", "module $b"] }]);
  const separate = await compile(SIBLINGS, { fuse: false });
  assertEquals(separate.fusion().steps, undefined);
  for (const loaded of [module, Module.deserialize(module.serialize()), separate]) {
    const order: number[] = [];
    const { exports } = instantiateSync(loaded, {
      host: { log: (n: number) => order.push(n) },
      plugin,
    });
    assertEquals(order, [1, 2, 3, 1], "starts in instantiation order, around the step");
    assertEquals((exports.g as () => number)(), 15);
    const a = exports.a as Instance;
    assertEquals(Object.keys(a.exports), ["memory", "f", "ping"]);
    assertStrictEquals(a.exports.f, exports.f, "one function, however it is reached");
  }
});

Deno.test("a fused step runs its instances as they are when it cannot run fused", async () => {
  const plugin = await compile(PLUGIN);
  const module = await compile(SIBLINGS);
  assert(module.fusion().steps !== undefined);
  // A host function that needs its caller: the step's instances run one by one.
  const seen: (number | WebAssembly.Memory)[] = [];
  const log = withCaller((caller) => (n: number) => {
    seen.push(n);
    if (n === 7) seen.push(caller.memory());
  });
  const { exports } = instantiateSync(module, { host: { log }, plugin });
  const a = exports.a as Instance;
  (a.exports.ping as () => void)();
  assertEquals(seen, [1, 2, 3, 1, 7, a.exports.memory as WebAssembly.Memory], "$a called it");
  // A wasm function of the wrong type: $a fails, as unfused, after the plugin's instance.
  const other = new WebAssembly.Instance(
    new WebAssembly.Module(
      // (module (func (export "f") (param i64)))
      new Uint8Array([
        ...[0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 1, 126, 0, 3, 2, 1, 0],
        ...[7, 5, 1, 1, 102, 0, 0, 10, 4, 1, 2, 0, 11],
      ]),
    ),
  ).exports.f;
  // A plugin that imports nothing (a subtype of what is asked), so that $a is the first to take `log`.
  const quiet = await compile(`(module (func (export "p") (result i32) (i32.const 5)))`);
  for (const fuse of [true, false]) {
    const loaded = await compile(SIBLINGS, { fuse });
    const e = assertThrows(
      () => instantiateSync(loaded, { host: { log: other }, plugin: quiet }),
      LinkError,
    );
    assert(e.message.includes("module $a"), `fuse: ${fuse}: ${e.message}`);
  }
  // The instance budget: the step's instances count; short of them, the
  // instances run one by one and fail where they would.
  for (const fuse of [true, false]) {
    const loaded = await compile(SIBLINGS, { fuse });
    const order: number[] = [];
    const e = assertThrows(
      () =>
        instantiateSync(loaded, { host: { log: (n: number) => order.push(n) }, plugin }, {
          maxInstances: 3,
        }),
      LinkError,
    );
    assert(e.message.includes("at most 3 instances"), e.message);
    assertEquals(order, [1, 2], `fuse: ${fuse}`);
  }
});

Deno.test("a crafted fused step in an artifact is refused", async () => {
  const module = await compile(SIBLINGS);
  const { blob, index } = moduleParts(module);
  const fusion = blob.compiled.modules[index].fusion as { reason: string; steps: FusedStep[] };
  const { writeArtifact } = await import("../lib/artifact/write.ts");
  const tamper = (change: (s: FusedStep) => FusedStep) => {
    const modules = blob.compiled.modules.slice();
    modules[index] = {
      ...modules[index],
      fusion: { ...fusion, steps: fusion.steps.map(change) },
    };
    return writeArtifact({
      blobs: [{ ...blob.compiled, modules }],
      nodes: [{ blob: 0, module: index, upvars: [] }],
      root: 0,
    });
  };
  const cases: [string, (s: FusedStep) => FusedStep][] = [
    [
      "out of range",
      (s) => ({ ...s, values: s.values.map((v) => ({ ...v, from: "space" as const, index: 99 })) }),
    ],
    ["not instantiate steps in order", (s) => ({ ...s, members: [...s.members].reverse() })],
    ["leaves out an instantiate", (s) => ({ ...s, members: [s.members[0], s.members[1] + 1] })],
    ["no built instance", (s) => ({ ...s, memberBuilt: s.memberBuilt.map(() => 99) })],
    ["another type", (s) => ({ ...s, memberBuilt: [...s.memberBuilt].reverse() })],
  ];
  for (const [message, change] of cases) {
    assertThrows(() => Module.deserialize(tamper(change)), ArtifactError, message);
  }
});

Deno.test("an instance of exports a step member passes on stays the same object", async () => {
  // $a made twice keeps the graph from fusing whole; $bund, made by the top
  // level's program, is an object of its own that $b re-exports.
  const text = `(module
    (import "f" (func $f))
    (module $a (func (export "x")))
    (module $b (import "i" (instance $i (export "f" (func)))) (export "i" (instance $i)))
    (instance $a1 (instantiate $a))
    (instance $bund (export "f" (func $f)))
    (instance $a2 (instantiate $a))
    (instance $b (instantiate $b (import "i" (instance $bund))))
    (export "bund" (instance $bund))
    (export "b" (instance $b)))`;
  const module = await compile(text);
  assertEquals(module.fusion().steps, [{ instances: ["module $a", "module $b"] }]);
  for (const loaded of [module, Module.deserialize(module.serialize())]) {
    const { exports } = instantiateSync(loaded, { f: () => {} });
    assertStrictEquals((exports.b as Instance).exports.i, exports.bund);
  }
});
