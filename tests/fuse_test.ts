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
  type Instance,
  instantiateSync,
  LinkError,
  Module,
  withCaller,
} from "../mod.ts";
import type { FusedModule } from "../lib/compiled.ts";
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

Deno.test("the instance budget counts fused instances", async () => {
  const module = await compile(CHAIN);
  assert(module.fusion().fused);
  const e = assertThrows(
    () => instantiateSync(module, { host: { log() {} } }, { maxInstances: 2 }),
    LinkError,
  );
  assert(e.message.includes("at most 2 instances"), e.message);
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
});
