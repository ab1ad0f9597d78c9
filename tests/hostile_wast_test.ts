/**
 * The wast runner on hostile scripts: every malformed command is a failure
 * at its line (never a pass, never a raw error), host imports are own
 * properties only, and a command that never ends is stopped by the time
 * limit while the script goes on.
 */

import { assert, assertEquals, assertMatch, assertThrows } from "@std/assert";
import { runScript, ScriptRunner } from "../lib/wast/runner.ts";

const MODULE = `(module
  (func (export "one") (result i32) i32.const 1)
  (func (export "id32") (param i32) (result i32) local.get 0)
  (func (export "idf") (param f32) (result f32) local.get 0)
  (global (export "g") i32 (i32.const 7))
  (global (export "gf") f32 (f32.const 1.5)))
`;

/** Runs `commands` after MODULE and returns the failures' lines and messages, the module's line 1. */
async function failures(commands: string): Promise<{ line: number; message: string }[]> {
  const result = await runScript(MODULE + commands, "hostile.wast");
  return result.failures.map((f) => ({ line: f.line, message: f.message ?? "" }));
}

const FIRST = MODULE.split("\n").length; // the line of the first command after MODULE

Deno.test("commands without their operands fail at their line", async () => {
  const cases = [
    "(assert_return)",
    "(get)",
    "(register)",
    "(assert_invalid)",
    "(assert_malformed)",
    "(assert_trap)",
    "(assert_exhaustion)",
    "(assert_unlinkable)",
    "(assert_uninstantiable)",
    "(invoke)",
    "(assert_invalid (module (func (result i32) i32.const 1)))",
    '(assert_trap (invoke "one"))',
  ];
  for (const command of cases) {
    const found = await failures(command);
    assertEquals(found.length, 1, command);
    assertEquals(found[0].line, FIRST, command);
    assertMatch(found[0].message, /^malformed command: /, command);
  }
});

Deno.test("operands of the wrong kind, extra operands and stray atoms fail", async () => {
  const cases = [
    '(register "m" "n")',
    '(register $nope "m")',
    '(get "g" "extra")',
    '(assert_return (get "g") (i32.const 7) junk)',
    '(assert_trap (invoke "one") "unreachable" "again")',
    '(assert_invalid (func) "type mismatch")',
    "(assert_return (module) (i32.const 1))",
    "stray",
    '(frobnicate "x")',
    '(assert_return (invoke "id32" (i32.add (i32.const 1) (i32.const 2))) (i32.const 3))',
    '(assert_return (invoke "one") (i32.const 0x1_0000_0000))',
    '(assert_return (invoke "id32" (i32.const -2147483649)) (i32.const 0))',
    '(assert_return (get "gf") (f32.const 1e39))',
    '(assert_return (invoke "idf" (f32.const 1)) (f32.const nan:whatever))',
    '(assert_return (invoke "one") (v128.const i32x4 1 2 3))',
    '(assert_return (invoke "one") (v128.const i33x4 1 2 3 4))',
    '(assert_return (invoke "one") (ref.null any))',
    '(invoke "id32" (ref.func))',
  ];
  for (const command of cases) {
    const found = await failures(command);
    assertEquals(found.length, 1, command);
    assertEquals(found[0].line, FIRST, command);
    assertMatch(found[0].message, /^malformed command: /, command);
  }
});

Deno.test("arguments and results must match the function's type in number and kind", async () => {
  const cases: [string, string][] = [
    // JS-typed calls ignored extra arguments; they are no longer passed.
    ['(assert_return (invoke "one" (i32.const 5)) (i32.const 1))', "takes 0 argument(s)"],
    ['(assert_return (invoke "id32") (i32.const 0))', "takes 1 argument(s) (i32)"],
    ['(assert_return (invoke "id32" (i64.const 1)) (i64.const 1))', "argument 1 of id32 is i32"],
    ['(assert_return (invoke "one") (i32.const 1) (i32.const 1))', "takes 1 result(s)"],
    // Float calls run in a generated module: extra arguments were spliced into it.
    [
      '(assert_return (invoke "idf" (f32.const 1) (f32.const 2)) (f32.const 2))',
      "takes 1 argument(s) (f32)",
    ],
    ['(assert_return (invoke "idf" (f64.const 1)) (f32.const 1))', "argument 1 of idf is f32"],
    ['(assert_return (invoke "idf" (f32.const 1)) (f64.const 1))', "result 1 of idf is f32"],
    ['(assert_return (get "one") (i32.const 1))', 'no exported global "one"'],
    ['(assert_return (invoke "g") (i32.const 7))', 'no exported function "g"'],
  ];
  for (const [command, message] of cases) {
    const found = await failures(command);
    assertEquals(found.length, 1, command);
    assert(found[0].message.includes(message), `${command}: ${found[0].message}`);
  }
  // The well-formed versions pass.
  assertEquals(
    await failures(`(assert_return (invoke "id32" (i32.const -1)) (i32.const 0xffffffff))
(assert_return (invoke "idf" (f32.const 0x1p-1)) (f32.const 0.5))
(assert_return (get "g") (i32.const 7))
(assert_return (get "gf") (f32.const 0x1.8p0))
(register "m")
(assert_trap (invoke "one") "unreachable")`),
    [{ line: FIRST + 5, message: 'expected a trap "unreachable", but it succeeded' }],
  );
});

Deno.test("host imports are own properties: nothing comes from Object.prototype", async () => {
  const result = await runScript(
    `(assert_unlinkable (module (import "constructor" "assign" (func))) "")
(assert_unlinkable (module (import "__proto__" "constructor" (func))) "")
(assert_unlinkable (module (import "toString" "call" (func))) "")
(module $m (func (export "f") (result i32) i32.const 3))
(register "__proto__" $m)
(module (import "__proto__" "f" (func $f (result i32))) (func (export "g") (result i32) call $f))
(assert_return (invoke "g") (i32.const 3))
(register "constructor" $m)
(module (import "constructor" "f" (func $f (result i32))) (func (export "h") (result i32) call $f))
(assert_return (invoke "h") (i32.const 3))
`,
    "imports.wast",
  );
  assertEquals(result.failures, []);
  assertEquals(result.passed, 10);
});

Deno.test("a script that cannot be read is one failure, not an exception", async () => {
  const result = await runScript(`(module)\n(assert_return (invoke "f")`, "open.wast");
  assertEquals(result.failed, 1);
  assertEquals(result.failures[0].command, "script");
  assertMatch(result.failures[0].message!, /WatError: .*unclosed/);
});

const LOOPS = `(module
  (global $n (mut i32) (i32.const 0))
  (func (export "inc") (global.set $n (i32.add (global.get $n) (i32.const 1))))
  (func (export "n") (result i32) global.get $n)
  (func (export "spin") (loop (br 0)))
  (func (export "spin-after-inc") (call 0) (loop (br 0))))
(invoke "inc")
(assert_return (invoke "spin"))
(assert_return (invoke "n") (i32.const 1))
(invoke "spin-after-inc")
(invoke "inc")
(assert_return (invoke "n") (i32.const 2))
`;

Deno.test("a command that never ends times out, and the script goes on in a fresh worker", async () => {
  const seen: string[] = [];
  const started = performance.now();
  const result = await runScript(LOOPS, "loops.wast", {
    timeoutMs: 300,
    onCommand: (r) => seen.push(`${r.line} ${r.ok ? "ok" : r.message}`),
  });
  // The state is rebuilt by replaying the commands before, the timed-out ones left out.
  assertEquals(seen, [
    "1 ok",
    "7 ok",
    "8 timed out after 300 ms",
    "9 ok",
    "10 timed out after 300 ms",
    "11 ok",
    "12 ok",
  ]);
  assertEquals([result.passed, result.failed], [5, 2]);
  assert(performance.now() - started < 10_000);
});

Deno.test("with a time limit, results are those of the in-process run", async () => {
  const dir = new URL("./wast/", import.meta.url);
  // One runner for every script: its worker is kept from one to the next.
  using runner = new ScriptRunner({ matchMessages: true, timeoutMs: 10_000 });
  for (const entry of Deno.readDirSync(dir)) {
    const text = await Deno.readTextFile(new URL(entry.name, dir));
    const here = await runScript(text, entry.name, { matchMessages: true });
    assertEquals(await runner.run(text, entry.name), here, entry.name);
  }
  assertThrows(() => new ScriptRunner({ timeoutMs: 0 }), Error, "timeoutMs must be");
  assertThrows(() => new ScriptRunner({ timeoutMs: NaN }), Error, "timeoutMs must be");
  const bare = await runScript(`(func (export "f") (loop (br 0))) (start 0)`, "bare.wast", {
    timeoutMs: 200,
  });
  assertEquals(bare.failures.map((f) => [f.line, f.command, f.message]), [
    [1, "module", "timed out after 200 ms"],
  ]);
});

Deno.test("cli.ts wast: malformed commands fail, and --timeout stops a loop", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/loops.wast`, LOOPS);
    await Deno.writeTextFile(`${dir}/bad.wast`, `(module)\n(assert_return)\n(get)\n`);
    const cli = new URL("../cli.ts", import.meta.url).pathname;
    const run = async (...args: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", cli, "wast", ...args],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder();
      return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
    };
    // One worker runs the scripts, and a fresh one takes over after a timeout.
    const loops = await run("--timeout", "300", `${dir}/loops.wast`, `${dir}/bad.wast`);
    assertEquals(loops.code, 1, loops.stderr);
    assert(loops.stdout.includes(`${dir}/loops.wast:8: assert_return: timed out after 300 ms`));
    assert(loops.stdout.includes(`${dir}/loops.wast: 5 passed, 2 failed`), loops.stdout);
    assert(loops.stdout.trimEnd().endsWith("6 passed, 4 failed"), loops.stdout);
    const bad = await run(`${dir}/bad.wast`);
    assertEquals(bad.code, 1);
    assert(bad.stdout.includes(`${dir}/bad.wast:2: assert_return: malformed command`), bad.stdout);
    assert(bad.stdout.trimEnd().endsWith("1 passed, 2 failed"), bad.stdout);
    for (const value of ["-1", "abc", "1.5", "99999999999"]) {
      const r = await run("--timeout", value, `${dir}/bad.wast`);
      assertEquals(r.code, 2, value);
      assert(r.stderr.startsWith(`error: --timeout ${value}: expected milliseconds`), r.stderr);
    }
    // Scripts are UTF-8 text, where a comment may hold a NUL (as the core suite's comments.wast).
    await Deno.writeTextFile(`${dir}/nul.wast`, "(module) (; \0 ;)\n(module $m)\n");
    const nul = await run("--timeout", "0", `${dir}/nul.wast`);
    assertEquals([nul.code, nul.stdout.trimEnd().split("\n").pop()], [0, "2 passed, 0 failed"]);
    await Deno.writeFile(`${dir}/latin1.wast`, new Uint8Array([0x28, 0xe9, 0x29]));
    const latin1 = await run(`${dir}/latin1.wast`);
    assertEquals(latin1.code, 1);
    assertEquals(latin1.stderr, `error: ${dir}/latin1.wast: not UTF-8 text (at byte offset 0x1)\n`);
    const missing = await run(`${dir}/bad.wast`, `${dir}/nope.wast`);
    assertEquals([missing.code, missing.stdout], [1, ""]);
    assertEquals(
      missing.stderr,
      `error: cannot read ${dir}/nope.wast: no such file or directory\n`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
