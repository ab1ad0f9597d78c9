/**
 * The command line, run as a user runs it: in a subprocess.
 */

import { assert, assertEquals } from "@std/assert";
import { bin, code, ex, exports, func, funcs, I32, types } from "./helpers/build.ts";

const cli = new URL("../cli.ts", import.meta.url).pathname;
const example = new URL("../examples/hello.wat", import.meta.url).pathname;

async function mlink(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", cli, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

Deno.test("run: the bundled example prints main's result", async () => {
  const r = await mlink("run", "--invoke", "main", example);
  assertEquals(r.stderr, "");
  assertEquals(r.code, 0);
  assertEquals(r.stdout.trim(), "42");
});

Deno.test("run: a binary with negative arguments, and errors exit non-zero", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // (func (param i32 i32) (result i32) local.get 0 local.get 1 i32.sub)
    await Deno.writeFile(
      `${dir}/sub.bin`,
      bin(
        types(func([I32, I32], [I32])),
        funcs(0),
        exports(ex("sub", 0, 0)),
        code([0x20, 0, 0x20, 1, 0x6b]),
      ),
    );
    const ok = await mlink("run", "--invoke", "sub", `${dir}/sub.bin`, "-1", "5");
    assertEquals(ok.stdout.trim(), "-6");
    const arity = await mlink("run", "--invoke", "sub", `${dir}/sub.bin`, "1");
    assertEquals(arity.code, 1);
    assert(
      arity.stderr.includes("sub takes 2 argument(s) (func (param i32 i32) (result i32)), got 1"),
      arity.stderr,
    );
    const missing = await mlink("run", "--invoke", "nope", `${dir}/sub.bin`);
    assert(missing.stderr.includes('no export "nope"; exported functions: sub'), missing.stderr);
    await Deno.writeFile(`${dir}/bad.wasm`, new Uint8Array([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0]));
    const bad = await mlink("run", `${dir}/bad.wasm`);
    assertEquals(bad.code, 1);
    assert(bad.stderr.startsWith("error: CompileError: unknown binary version"), bad.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("compile writes an artifact that run and inspect accept", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const c = await mlink("compile", example, "-o", `${dir}/hello.mlk`);
    assertEquals(c.code, 0, c.stderr);
    const r = await mlink("run", "--invoke", "main", `${dir}/hello.mlk`);
    assertEquals(r.stdout.trim(), "42");
    const text = await mlink("inspect", `${dir}/hello.mlk`);
    assert(text.stdout.includes("module $counter"), text.stdout);
    const json = JSON.parse((await mlink("inspect", example, "--json")).stdout);
    assertEquals(json.name, "module $app");
    assertEquals(json.children.map((c: { name: string }) => c.name), [
      "module $counter",
      "module $twice",
    ]);
    assertEquals(json.exports.map((e: { name: string }) => e.name), ["main", "counter"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("help and usage errors", async () => {
  const help = await mlink("help");
  for (const command of ["run", "parse", "compile", "inspect", "precompile"]) {
    assert(help.stdout.includes(`  ${command}`), command);
    const one = await mlink(command, "--help");
    assertEquals(one.code, 0);
    assert(one.stdout.startsWith(`mlink ${command}`), one.stdout);
  }
  const unknown = await mlink("frobnicate");
  assertEquals(unknown.code, 2);
  const usage = await mlink("compile");
  assertEquals(usage.code, 2);
  assert(usage.stderr.includes("compile needs FILE and -o OUT"));
});
