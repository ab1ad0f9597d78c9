/**
 * WASI through mlink's runtime: every system call acts on the memory of the
 * core instance that made it, commands and reactors follow the WASI
 * conventions, and the backend is pluggable.
 */

import { assert, assertEquals, assertInstanceOf, assertRejects, assertThrows } from "@std/assert";
import fs from "node:fs";
import {
  compile,
  initializeReactor,
  instantiate,
  LinkError,
  nodeWasi,
  runCommand,
  runWasi,
  WasiExit,
  wasiImports,
  withCaller,
} from "../mod.ts";

const FD_WRITE = `(func $write (param i32 i32 i32 i32) (result i32))`;

/** A core module that prints `text` from its own memory when `print` is called. */
function printer(name: string, text: string): string {
  const bytes = [...new TextEncoder().encode(text)].map((b) =>
    `\\${b.toString(16).padStart(2, "0")}`
  )
    .join("");
  // iovec at 0: {buf = 64, len}; text at 64; nwritten at 32.
  return `(module ${name}
    (import "wasi_snapshot_preview1" "fd_write" ${FD_WRITE})
    (memory (export "memory") 1)
    (data (i32.const 0) "\\40\\00\\00\\00\\${
    text.length.toString(16).padStart(2, "0")
  }\\00\\00\\00")
    (data (i32.const 64) "${bytes}")
    (func (export "print") (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 32)))))`;
}

/** Runs `body` with WASI's stdout going to a temp file, and returns what was written. */
async function captureStdout(body: (stdout: number) => Promise<void>): Promise<string> {
  const path = await Deno.makeTempFile();
  const fd = fs.openSync(path, "w");
  try {
    await body(fd);
  } finally {
    fs.closeSync(fd);
  }
  const text = await Deno.readTextFile(path);
  await Deno.remove(path);
  return text;
}

Deno.test("WASI calls use the calling instance's memory, for two modules with their own", async () => {
  // Both printers keep their iovec and text at the same addresses, so a
  // runtime that bound one memory for all would print one text twice.
  const module = await compile(`(module
    (import "wasi_snapshot_preview1" (instance $wasi (export "fd_write" ${
    FD_WRITE.replace("$write ", "")
  })))
    ${printer("$a", "from a\n")}
    ${printer("$b", "from b, longer\n")}
    (instance $ia (instantiate $a (import "wasi_snapshot_preview1" (instance $wasi))))
    (instance $ib (instantiate $b (import "wasi_snapshot_preview1" (instance $wasi))))
    (func $pa (alias $ia "print"))
    (func $pb (alias $ib "print"))
    (func (export "_start") (call $pa) (call $pb) (call $pa) (call $pb) (call $pb)))`);
  const out = await captureStdout(async (stdout) => {
    assertEquals(await runWasi(module, { stdout }), 0);
  });
  assertEquals(out, "from a\nfrom b, longer\nfrom a\nfrom b, longer\nfrom b, longer\n");
});

Deno.test("proc_exit gives the exit code; _start returning gives 0; a trap rejects", async () => {
  const exit = await compile(`(module
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (func (export "_start") (call $exit (i32.const 7)) unreachable))`);
  assertEquals(await runWasi(exit, { args: ["exit"] }), 7);
  const big = await compile(`(module
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (func (export "_start") (call $exit (i32.const -1))))`);
  assertEquals(await runWasi(big), 0xffffffff);
  const plain = await compile(`(module (func (export "_start")))`);
  assertEquals(await runWasi(plain), 0);
  const trap = await compile(`(module (func (export "_start") unreachable))`);
  await assertRejects(() => runWasi(trap), WebAssembly.RuntimeError, "unreachable");
  const reactor = await compile(`(module (func (export "_initialize")))`);
  await assertRejects(
    () => runWasi(reactor),
    LinkError,
    "not a WASI command: it exports no _start",
  );
});

Deno.test("a reactor's _initialize runs before _start and before --invoke-style calls", async () => {
  const module = await compile(`(module
    (global $ready (mut i32) (i32.const 0))
    (func (export "_initialize") (global.set $ready (i32.add (global.get $ready) (i32.const 1))))
    (func (export "ready") (result i32) (global.get $ready))
    (func (export "_start") (if (i32.ne (global.get $ready) (i32.const 1)) (then unreachable))))`);
  const instance = await instantiate(module);
  assertEquals(runCommand(instance), 0);
  const again = await instantiate(module);
  assertEquals(initializeReactor(again), undefined);
  assertEquals((again.exports.ready as () => number)(), 1);
  const exits = await compile(`(module
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (func (export "_initialize") (call $exit (i32.const 4))))`);
  const wasi = wasiImports(await nodeWasi());
  assertEquals(initializeReactor(await instantiate(exits, { wasi_snapshot_preview1: wasi })), 4);
  const wrong = await compile(`(module (global (export "_initialize") i32 (i32.const 0)))`);
  assertThrows(() => initializeReactor({} as never), LinkError, "expects an mlink Instance");
  await assertRejects(
    async () => initializeReactor(await instantiate(wrong)),
    LinkError,
    `export "_initialize" must be a function`,
  );
});

Deno.test("withCaller: one binding per importing core instance, with its exports", async () => {
  const seen: (WebAssembly.Exports | undefined)[] = [];
  let bindings = 0;
  const who = withCaller((caller) => {
    bindings++;
    return () => {
      seen.push(caller.exports);
      return new Uint8Array(caller.memory().buffer)[0];
    };
  });
  const module = await compile(`(module
    (import "host" (instance $host (export "who" (func (result i32)))))
    (module $m1 (import "host" "who" (func $who (result i32)))
      (memory (export "memory") 1) (data (i32.const 0) "\\01")
      (func (export "run") (result i32) (call $who)))
    (module $m2 (import "host" "who" (func $who (result i32)))
      (memory (export "memory") 1) (data (i32.const 0) "\\02")
      (func (export "run") (result i32) (call $who)))
    (instance $i1 (instantiate $m1 (import "host" (instance $host))))
    (instance $i2 (instantiate $m2 (import "host" (instance $host))))
    (export "r1" (func $i1 "run"))
    (export "r2" (func $i2 "run")))`);
  const { exports } = await instantiate(module, { host: { who } });
  assertEquals(bindings, 2);
  assertEquals((exports.r1 as () => number)(), 1);
  assertEquals((exports.r2 as () => number)(), 2);
  assertEquals((exports.r1 as () => number)(), 1);
  assert(seen[0] !== seen[1], "each caller has its own exports");
  assertInstanceOf(seen[0]!.memory, WebAssembly.Memory);
  // Called from JS there is no calling instance.
  assertThrows(() => (who as () => number)(), LinkError, "needs a calling core instance");
});

Deno.test("withCaller: clear errors without an exported memory, or from a start function", async () => {
  const peek = withCaller((caller) => () => caller.memory().buffer.byteLength);
  const noMemory = await compile(`(module $app
    (import "host" "peek" (func $peek (result i32)))
    (func (export "run") (result i32) (call $peek)))`);
  const { exports } = await instantiate(noMemory, { host: { peek } });
  assertThrows(
    () => (exports.run as () => number)(),
    LinkError,
    'module $app calls a host function that needs its memory, but it exports no memory named "memory"',
  );
  const fromStart = await compile(`(module
    (import "host" "peek" (func $peek (result i32)))
    (memory (export "memory") 1)
    (func $s (drop (call $peek))) (start $s))`);
  await assertRejects(
    () => instantiate(fromStart, { host: { peek } }),
    LinkError,
    "the top-level module called a host function that needs its memory from its start function",
  );
  assertThrows(() => withCaller(5 as never), LinkError, "withCaller expects a function");
  const broken = withCaller(() => 5 as never);
  await assertRejects(
    () => instantiate(noMemory, { host: { peek: broken } }),
    LinkError,
    "returned number, not a function",
  );
});

Deno.test("unmarked host functions are passed to V8 as they are", async () => {
  withCaller(() => () => 0); // marks exist in this process: the scan runs
  const log = (x: number) => x;
  const module = await compile(`(module
    (import "env" "log" (func $log (param i32) (result i32)))
    (export "log" (func $log)))`);
  const { exports } = await instantiate(module, { env: { log } });
  // A host function re-exported by a plain import keeps its identity.
  assertEquals(exports.log, log);
});

Deno.test("bad WASI options are LinkErrors that say what is wrong", async () => {
  await assertRejects(
    () => nodeWasi({ args: [5 as never] }),
    LinkError,
    "args must be an array of strings",
  );
  await assertRejects(
    () => nodeWasi({ env: { "A=B": "x" } }),
    LinkError,
    "not a valid variable name",
  );
  await assertRejects(
    () => nodeWasi({ env: { A: 5 as never } }),
    LinkError,
    '"A" must be a string',
  );
  await assertRejects(() => nodeWasi({ stdout: -1 }), LinkError, "host file descriptor");
  await assertRejects(
    () => nodeWasi({ preopens: { "/data": "/no/such/dir/anywhere" } }),
    LinkError,
    "cannot set up WASI",
  );
  const plain = await compile(`(module (func (export "_start")))`);
  await assertRejects(() => runWasi(plain, null as never), LinkError, "options must be an object");
});

Deno.test("WasiExit carries its code", () => {
  assertEquals(new WasiExit(3).code, 3);
});
