/**
 * `mlink run`'s arguments: options before FILE, everything after FILE passed
 * on as it is, and every malformed option a usage error.
 */

import { assertEquals, assertThrows } from "@std/assert";
import { parseRunArgs } from "../lib/cli/run.ts";
import { UsageError } from "../lib/cli/usage.ts";

Deno.test("run: options, FILE, then the program's own words, flags included", () => {
  const r = parseRunArgs([
    "--dir",
    "data::/data",
    "--dir=out",
    "--env",
    "K=V=W",
    "--env=EMPTY=",
    "--preload",
    "lib=lib.wasm",
    "prog.wasm",
    "/data/in.txt",
    "--dir",
    "-x",
  ]);
  assertEquals(r.file, "prog.wasm");
  assertEquals(r.args, ["/data/in.txt", "--dir", "-x"]);
  assertEquals(r.preopens, { "/data": "data", out: "out" });
  assertEquals(r.env, { K: "V=W", EMPTY: "" });
  assertEquals(r.preloads, [{ name: "lib", path: "lib.wasm" }]);
  assertEquals(r.invoke, undefined);
});

Deno.test("run: --invoke takes its arguments after FILE, negative numbers included", () => {
  const r = parseRunArgs(["--invoke", "sub", "m.wat", "-1", "5"]);
  assertEquals([r.invoke, r.file, r.args], ["sub", "m.wat", ["-1", "5"]]);
  const dashed = parseRunArgs(["--", "-odd-name.wasm", "a"]);
  assertEquals([dashed.file, dashed.args], ["-odd-name.wasm", ["a"]]);
});

Deno.test("run: malformed options are usage errors that say which", () => {
  const cases: [string[], string][] = [
    [[], "run needs a FILE"],
    [["--dir", "x"], "run needs a FILE"],
    [["--frobnicate", "x.wasm"], "unknown option --frobnicate"],
    [["--invok", "f", "x.wasm"], "unknown option --invok"],
    [["--dir"], "--dir needs a value"],
    [["--dir", "::/data", "x.wasm"], "expected HOST[::GUEST]"],
    [["--dir", "a::", "x.wasm"], "expected HOST[::GUEST]"],
    [["--dir", "a::/d", "--dir", "b::/d", "x.wasm"], "/d is preopened twice"],
    [["--env", "NOVALUE", "x.wasm"], "expected NAME=VALUE"],
    [["--env", "=v", "x.wasm"], "expected NAME=VALUE"],
    [["--preload", "lib", "x.wasm"], "expected NAME=FILE"],
    [["--preload", "lib=", "x.wasm"], "expected NAME=FILE"],
    [["--preload", "a=1.wasm", "--preload", "a=2.wasm", "x.wasm"], "a is already provided"],
    [["--preload", "wasi_snapshot_preview1=w.wasm", "x.wasm"], "is already provided"],
    [["--invoke", "", "x.wasm"], "--invoke needs an export name"],
  ];
  for (const [argv, message] of cases) {
    assertThrows(() => parseRunArgs(argv), UsageError, message, argv.join(" "));
  }
});
