/**
 * The conformance suites through mlink's whole pipeline: the module-linking
 * reference suite (every command must pass, messages included) and the
 * WebAssembly core spec suite (error kinds checked; a short list of known,
 * explained exceptions, each with its exact count so the test fails if the
 * number moves either way). Also our own scripts in tests/wast/, and the
 * runner tested against itself.
 */

import { assert, assertEquals } from "@std/assert";
import { runScript } from "../lib/wast/runner.ts";

const shared = new URL("../../shared/conformance/", import.meta.url);
const present = await Deno.stat(shared).then(() => true, () => false);
if (!present) console.log("skipping the conformance suites: ../shared not found");

function wastFiles(dir: URL): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".wast")).sort();
  } catch {
    return [];
  }
}

/**
 * Core commands that cannot pass here, by file, with the reason. Every one
 * is V8 implementing a later proposal than the 2.0 suite, or a byte that
 * module linking gives a meaning.
 */
const CORE_EXCEPTIONS: Record<string, { failures: number; reason: string }> = {
  "binary.wast": {
    failures: 11,
    reason: "1: section id 14 is module linking's module section, not malformed; " +
      "2: V8 (memory64) reads memarg alignment/offset as wider LEB128 and accepts an over-long one; " +
      "8: V8 (multi-memory) reads memory.size/memory.grow's reserved byte as a memory index LEB128",
  },
  "binary-leb128.wast": {
    failures: 2,
    reason: "V8 (memory64) accepts an over-long LEB128 memarg offset",
  },
  "data.wast": {
    failures: 2,
    reason: "V8 (extended-const/GC) lets constant expressions read non-imported globals",
  },
  "elem.wast": {
    failures: 2,
    reason: "V8 (extended-const/GC) lets constant expressions read non-imported globals",
  },
  "global.wast": {
    failures: 2,
    reason: "V8 (extended-const/GC) lets constant expressions read non-imported globals",
  },
  "imports.wast": { failures: 3, reason: "V8 supports multiple memories (multi-memory)" },
  "memory.wast": { failures: 2, reason: "V8 supports multiple memories (multi-memory)" },
};

/** Modules of the module-linking suite that compiled into a fused form, by file. */
const fusedInSuite = new Map<string, number>();

// Every suite runs with fusion on (the default) and off: both must pass.
for (const fuse of [true, false]) {
  const mode = fuse ? "" : " (fusion off)";
  for (const file of wastFiles(new URL("module-linking/", shared))) {
    Deno.test({
      name: `module-linking/${file}${mode}`,
      ignore: !present,
      async fn() {
        const text = await Deno.readTextFile(new URL(`module-linking/${file}`, shared));
        let fused = 0;
        const result = await runScript(text, file, {
          matchMessages: true,
          fuse,
          onCommand: (r) => void (r.fused && fused++),
        });
        assertEquals(result.failures, []);
        assert(result.passed > 0);
        if (fuse) fusedInSuite.set(file, fused);
        else assertEquals(fused, 0, "fuse: false fuses nothing");
      },
    });
  }
}

Deno.test({
  name: "module-linking suite: fusion fused the graphs it can",
  ignore: !present,
  fn() {
    const total = [...fusedInSuite.values()].reduce((a, b) => a + b, 0);
    console.log(
      `fused modules in the module-linking suite: ${total}`,
      Object.fromEntries(fusedInSuite),
    );
    // Not every module can be fused (imported modules, instances of nothing):
    // these files hold closed graphs, which must have been fused.
    for (const file of ["instantiate.wast", "alias.wast", "nested.wast"]) {
      if (fusedInSuite.has(file)) assert(fusedInSuite.get(file)! > 0, `${file}: nothing fused`);
    }
  },
});

for (const file of wastFiles(new URL("core/", shared))) {
  Deno.test({
    name: `core/${file}`,
    ignore: !present,
    async fn() {
      // Core modules instantiate no modules: fusion leaves them as they are.
      const text = await Deno.readTextFile(new URL(`core/${file}`, shared));
      const result = await runScript(text, file);
      const expected = CORE_EXCEPTIONS[file]?.failures ?? 0;
      assertEquals(
        result.failed,
        expected,
        result.failures.map((f) => `${f.file}:${f.line}: ${f.command}: ${f.message}`).join("\n"),
      );
      assert(result.passed > 0);
    },
  });
}

const ours = new URL("./wast/", import.meta.url);
for (const fuse of [true, false]) {
  for (const file of wastFiles(ours)) {
    Deno.test(`our scripts: ${file}${fuse ? "" : " (fusion off)"}`, async () => {
      const result = await runScript(await Deno.readTextFile(new URL(file, ours)), file, {
        matchMessages: true,
        fuse,
      });
      assertEquals(result.failures, []);
      assert(result.passed > 0);
    });
  }
}

Deno.test("the runner reports wrong values, missing traps and unexpected successes", async () => {
  const script = `(module
  (func (export "one") (result i32) i32.const 1)
  (func (export "half") (result f32) f32.const 0.5)
  (func (export "nan") (result f64) f64.const nan:0x1)
  (func (export "vec") (result v128) v128.const i32x4 1 2 3 4)
  (func (export "trap") unreachable))
(assert_return (invoke "one") (i32.const 2))
(assert_return (invoke "half") (f32.const 0.25))
(assert_return (invoke "nan") (f64.const nan:canonical))
(assert_return (invoke "vec") (v128.const i32x4 1 2 3 5))
(assert_trap (invoke "one") "unreachable")
(assert_invalid (module (func (result i32) i32.const 1)) "type mismatch")
(assert_malformed (module quote "(func)") "unexpected")
(assert_unlinkable (module (import "spectest" "print_i32" (func (param i32)))) "incompatible")
(assert_return (invoke "one") (i32.const 1))
`;
  const result = await runScript(script, "wrong.wast");
  // Every assertion but the last is wrong on purpose (the invalid, malformed
  // and unlinkable modules are in fact fine: unexpected successes).
  assertEquals(result.passed, 2, "the module and the last assert_return");
  assertEquals(result.failures.map((f) => [f.line, f.command]), [
    [7, "assert_return"],
    [8, "assert_return"],
    [9, "assert_return"],
    [10, "assert_return"],
    [11, "assert_trap"],
    [12, "assert_invalid"],
    [13, "assert_malformed"],
    [14, "assert_unlinkable"],
  ]);
  assert(result.failures[0].message!.includes("expected (i32.const 2), got 1"));
  assert(result.failures[1].message!.includes("expected 0x3e800000, got 0x3f000000"));
  assert(result.failures[2].message!.includes("expected nan:canonical, got 0x7ff0000000000001"));
  assert(result.failures[3].message!.includes("lane 3: expected 0x00000005, got 0x00000004"));
  assert(result.failures[4].message!.includes("expected a trap"));
  for (const f of result.failures.slice(5)) {
    assert(f.message!.endsWith("but it succeeded"), f.message);
  }
});

Deno.test("assert_exception passes on a wasm exception only, and is checked for its form", async () => {
  const script = `(module
  (tag $e (param i32))
  (func (export "throw") (param i32) local.get 0 throw $e)
  (func (export "throw-f64") (param f64) i32.const 1 throw $e)
  (func (export "trap") unreachable)
  (func (export "fine")))
(assert_exception (invoke "throw" (i32.const 1)))
(assert_exception (invoke "throw-f64" (f64.const 1.5)))
(assert_exception (invoke "fine"))
(assert_exception (invoke "trap"))
(assert_trap (invoke "throw" (i32.const 1)) "unreachable")
(invoke "throw" (i32.const 2))
(assert_exception (invoke "throw" (i32.const 1)) "text")
(assert_exception (module))
`;
  const result = await runScript(script, "exceptions.wast");
  assertEquals(result.passed, 3, "the module and the first two assertions");
  assertEquals(result.failures.map((f) => [f.line, f.message]), [
    [9, "expected a wasm exception, but it succeeded"],
    [10, "expected a wasm exception, got RuntimeError: unreachable"],
    [11, "expected a trap, got an uncaught wasm exception (WebAssembly.Exception)"],
    [12, "an uncaught wasm exception (WebAssembly.Exception)"],
    [13, 'malformed command: assert_exception: unexpected "text"'],
    [14, "malformed command: expected an action (invoke or get), found (module …)"],
  ]);
});

Deno.test("cli.ts wast prints failures and a summary, and exits non-zero on failure", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/bad.wast`,
      `(module (func (export "f") (result i32) i32.const 1))\n(assert_return (invoke "f") (i32.const 7))\n`,
    );
    await Deno.writeTextFile(`${dir}/good.wast`, `(module)\n`);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../cli.ts", import.meta.url).pathname,
        "wast",
        `${dir}/bad.wast`,
        `${dir}/good.wast`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assertEquals(out.code, 1);
    assert(
      stdout.includes(`${dir}/bad.wast:2: assert_return: result 0: expected (i32.const 7), got 1`),
      stdout,
    );
    assert(stdout.includes(`${dir}/bad.wast: 1 passed, 1 failed`), stdout);
    assert(stdout.trimEnd().endsWith("2 passed, 1 failed"), stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
