/**
 * The benchmarks run (quick mode) without failing: each group checks its
 * workload against its baseline before timing, so a broken hot path or
 * glue fails here too. Timings themselves are not asserted.
 */

import { assert, assertEquals } from "@std/assert";

Deno.test("deno task bench:quick runs every group", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["bench", "-A", "--v8-flags=--expose-gc", new URL("../bench/", import.meta.url).pathname],
    env: { MLINK_BENCH_QUICK: "1", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert(out.success, new TextDecoder().decode(out.stderr) + stdout);
  for (
    const group of [
      "cold start",
      "load paths",
      "serialize small",
      "deserialize small",
      "compile binary small",
      "text small",
      "instantiate wide",
      "instantiate deep",
      "instantiate chain",
      "instantiate diamonds",
      "instantiate imports",
      "cross-instance calls",
      "WASI fd_write",
      "Lua cold start",
      "link main2 + greeter",
      "link lua",
      "deploy cold start small",
    ]
  ) {
    assert(stdout.includes(`group ${group}`), `group ${group} did not run`);
  }
});

Deno.test("the interleaved WASI measurement runs and reports both sides", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--expose-gc", "bench/wasi_interleaved.ts", "4"],
    cwd: new URL("../", import.meta.url),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert(out.success, new TextDecoder().decode(out.stderr));
  for (const label of ["WASI fd_write ×1000, 4 rounds", "Lua cold start (artifact ÷ binary)"]) {
    assert(stdout.includes(label), stdout);
  }
  assertEquals(stdout.match(/ratio: +median \d+\.\d+/g)?.length, 2, stdout);
});

Deno.test("the interleaved instantiate measurement runs and reports both sides", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      "bench/instantiate_interleaved.ts",
      "--warmup=5",
      "4",
    ],
    cwd: new URL("../", import.meta.url),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert(out.success, new TextDecoder().decode(out.stderr));
  for (const shape of ["deep nesting", "chain through imports", "wide fan-out", "diamonds"]) {
    for (const gc of ["full GC", "minor GC"]) {
      assert(new RegExp(`${shape}.*, ${gc}, 4 rounds`).test(stdout), stdout);
    }
  }
  assertEquals(stdout.match(/ratio: +median \d+\.\d+/g)?.length, 8, stdout);
});
