/**
 * The command line, run as a user runs it: in a subprocess.
 */

import { assert, assertEquals } from "@std/assert";
import { bin, code, ex, exports, func, funcs, I32, types } from "./helpers/build.ts";
import { Module } from "../mod.ts";

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

Deno.test("inspect shows tags and instances made of exports", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/tags.wat`,
      `(module $app
  (import "env" "e" (tag $e (param i32)))
  (import "env" "f" (func $f))
  (instance $pack (export "e" (tag $e)) (export "f" (func $f)))
  (export "pack" (instance $pack))
  (export "e" (tag $e)))`,
    );
    const text = await mlink("inspect", `${dir}/tags.wat`);
    assertEquals(text.code, 0, text.stderr);
    for (
      const line of [
        '  export "e" (tag (param i32))',
        '  export "pack" (instance (export "e" (tag (param i32))) (export "f" (func)))',
        '  · instance of exports "e"=tag 0, "f"=func 0',
      ]
    ) {
      assert(text.stdout.split("\n").includes(line), `missing ${line}:\n${text.stdout}`);
    }
    const json = JSON.parse((await mlink("inspect", `${dir}/tags.wat`, "--json")).stdout);
    assertEquals(json.exports[1], { name: "e", type: "(tag (param i32))" });
    assert(json.initializers.includes('instance of exports "e"=tag 0, "f"=func 0'));
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

Deno.test("validate: nothing for valid files; each error with where it is, and exit 1", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const good = `${dir}/good.wasm`;
    assertEquals((await mlink("parse", example, "-o", good)).code, 0);
    const valid = await mlink("validate", good, example);
    assertEquals([valid.code, valid.stdout, valid.stderr], [0, "", ""]);
    await Deno.writeTextFile(
      `${dir}/core.wat`,
      "(module $app\n  (module $child\n    (func (result i32))))",
    );
    await Deno.writeTextFile(`${dir}/unknown.wat`, "(module\n  (instance (instantiate 3)))");
    await Deno.writeTextFile(`${dir}/dup.wat`, '(module (import "a" (func)) (import "a" (func)))');
    await Deno.writeFile(`${dir}/version.wasm`, new Uint8Array([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0]));
    await Deno.writeFile(
      `${dir}/nested.wasm`,
      bin(
        types(func()),
        { id: 14, modules: [{ sections: [funcs(7)] }] },
      ),
    );
    assertEquals((await mlink("compile", example, "-o", `${dir}/app.mlk`)).code, 0);
    const files = ["core.wat", "unknown.wat", "dup.wat", "version.wasm", "nested.wasm", "nope.wasm"]
      .map((f) => `${dir}/${f}`);
    const r = await mlink("validate", good, ...files, `${dir}/app.mlk`);
    assertEquals([r.code, r.stdout], [1, ""]);
    const errors = r.stderr.split("\n").filter((l) => l.startsWith("error: "));
    const expected: (string | RegExp)[] = [
      `error: ${dir}/core.wat:3:23: module $app > module $child: invalid core module: ` +
      "WebAssembly.Module(): Compiling function #0 failed: expected 1 elements on the stack for " +
      "fallthru, found 0",
      `error: ${dir}/unknown.wat:2:26: unknown module 3`,
      `error: ${dir}/dup.wat: duplicate import name "a" (at byte offset 0x17 of the binary that ` +
      "`mlink parse` writes for it)",
      `error: ${dir}/version.wasm: unknown binary version (at byte offset 0x4)`,
      // A nested module's error names it; the wording is the validator's.
      new RegExp(`^error: ${dir}/nested\\.wasm: module 0: .*type.* 7.* \\(at byte offset 0x1a\\)$`),
      `error: cannot read ${dir}/nope.wasm: no such file or directory`,
      `error: ${dir}/app.mlk: this is an mlink artifact, not a WebAssembly binary or text: an ` +
      "artifact is not validated, it was compiled from a valid module and is verified when " +
      "loaded (Module.deserialize())",
    ];
    assertEquals(errors.length, expected.length, r.stderr);
    expected.forEach((e, i) => {
      if (typeof e === "string") assertEquals(errors[i], e);
      else assert(e.test(errors[i]), errors[i]);
    });
    // Text errors show the offending line under the message.
    assert(r.stderr.includes("\n    (instance (instantiate 3)))\n"), r.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("print: a binary as text that parse turns back into the same binary", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const binary = `${dir}/app.wasm`;
    assertEquals((await mlink("parse", example, "-o", binary)).code, 0);
    const printed = await mlink("print", binary);
    assertEquals([printed.code, printed.stderr], [0, ""]);
    assert(printed.stdout.startsWith("(module $app\n  (module $counter (;0;)\n"), printed.stdout);
    await Deno.writeTextFile(`${dir}/printed.wat`, printed.stdout);
    assertEquals((await mlink("parse", `${dir}/printed.wat`, "-o", `${dir}/again.wasm`)).code, 0);
    assertEquals(await Deno.readFile(`${dir}/again.wasm`), await Deno.readFile(binary));
    // -o writes a file; text prints as the binary it parses to.
    const toFile = await mlink("print", example, "-o", `${dir}/out.wat`);
    assertEquals(toFile.code, 0, toFile.stderr);
    assert(toFile.stdout.startsWith(`wrote ${dir}/out.wat (`), toFile.stdout);
    assertEquals(await Deno.readTextFile(`${dir}/out.wat`), printed.stdout);
    // An artifact holds no binary to print.
    assertEquals((await mlink("compile", example, "-o", `${dir}/app.mlk`)).code, 0);
    const artifact = await mlink("print", `${dir}/app.mlk`);
    assertEquals(artifact.code, 1);
    assertEquals(
      artifact.stderr,
      `error: ${dir}/app.mlk is an mlink artifact: it holds the core modules a binary was split ` +
        "into, not the binary, so it cannot be printed; print the binary or text it was " +
        "compiled from\n",
    );
    await Deno.writeFile(`${dir}/bad.wasm`, new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 99]));
    const bad = await mlink("print", `${dir}/bad.wasm`);
    assertEquals([bad.code, bad.stderr], [
      1,
      `error: ${dir}/bad.wasm: malformed section id 99 (at byte offset 0x8)\n`,
    ]);
    const help = await mlink("help");
    assert(help.stdout.includes("  validate    "), help.stdout);
    assert(help.stdout.includes("  print       "), help.stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A closed instance graph: compiled by default into one core module. */
const CLOSED = `(module
  (module $c (func (export "f") (result i32) i32.const 7))
  (instance $i (instantiate $c))
  (export "f" (func $i "f")))`;

Deno.test("compile --no-fuse: an artifact without fusion, which runs as the fused one does", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const source = `${dir}/closed.wat`;
    await Deno.writeTextFile(source, CLOSED);
    const fused = await mlink("compile", source, "-o", `${dir}/fused.mlk`);
    assertEquals(fused.code, 0, fused.stderr);
    const unfused = await mlink("compile", source, "--no-fuse", "-o", `${dir}/unfused.mlk`);
    assertEquals(unfused.code, 0, unfused.stderr);
    const fusedModule = Module.deserialize(await Deno.readFile(`${dir}/fused.mlk`));
    assertEquals(fusedModule.fusion(), {
      fused: true,
      instances: ["module $c", "the module itself"],
    });
    const report = Module.deserialize(await Deno.readFile(`${dir}/unfused.mlk`)).fusion();
    assertEquals(report.fused, false);
    assert(!report.fused && report.reason.includes("fuse: false"), JSON.stringify(report));
    for (const artifact of ["fused.mlk", "unfused.mlk"]) {
      const r = await mlink("run", "--invoke", "f", `${dir}/${artifact}`);
      assertEquals([r.code, r.stdout.trim(), r.stderr], [0, "7", ""], artifact);
    }
    // run compiles without fusion too; an artifact was compiled already, fused or not.
    const run = await mlink("run", "--no-fuse", "--invoke", "f", source);
    assertEquals([run.code, run.stdout.trim()], [0, "7"], run.stderr);
    const again = await mlink("run", "--no-fuse", "--invoke", "f", `${dir}/fused.mlk`);
    assertEquals(again.code, 2);
    assert(
      again.stderr.startsWith(
        `error: --no-fuse: ${dir}/fused.mlk is an artifact, compiled already`,
      ),
      again.stderr,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("inspect: the fused instances, or why the module is not fused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const source = `${dir}/closed.wat`;
    await Deno.writeTextFile(source, CLOSED);
    assertEquals((await mlink("compile", source, "-o", `${dir}/fused.mlk`)).code, 0);
    assertEquals((await mlink("compile", source, "--no-fuse", "-o", `${dir}/un.mlk`)).code, 0);
    const fusedLines = (lines: string[]) => {
      assertEquals(lines[0], "(top level): core module 0 bytes, 3 initializers");
      assert(
        /^ {2}fused: 2 instances into one core module \(\d+ bytes\)$/.test(lines[1]),
        lines[1],
      );
      assertEquals(lines.slice(2, 4), ["    module $c", "    the module itself"]);
    };
    for (const file of [source, `${dir}/fused.mlk`]) {
      const r = await mlink("inspect", file);
      assertEquals(r.code, 0, r.stderr);
      fusedLines(r.stdout.split("\n"));
    }
    const notFused =
      "  not fused: fusion was not tried: compiled with fuse: false, or a nested module with nothing to fuse of its own";
    for (const args of [[source, "--no-fuse"], [`${dir}/un.mlk`]]) {
      const r = await mlink("inspect", ...args);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stdout.split("\n")[1], notFused, args.join(" "));
    }
    // A graph that fusion declines (hello.wat instantiates $counter twice) says why.
    const hello = (await mlink("inspect", example)).stdout.split("\n")[1];
    assert(hello.startsWith("  not fused: ") && hello !== notFused, hello);

    const json = JSON.parse((await mlink("inspect", `${dir}/fused.mlk`, "--json")).stdout);
    assertEquals(json.fusion.fused, true);
    assertEquals(json.fusion.instances, ["module $c", "the module itself"]);
    assert(json.fusion.coreBytes > 0, JSON.stringify(json.fusion));
    // Nested modules are not fused on their own: only the top level tells.
    assertEquals(json.children[0].fusion, undefined);
    const off = JSON.parse((await mlink("inspect", source, "--json", "--no-fuse")).stdout);
    assertEquals(off.fusion, {
      fused: false,
      reason:
        "fusion was not tried: compiled with fuse: false, or a nested module with nothing to fuse of its own",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--no-fuse: in the help of each command that compiles, and nowhere else", async () => {
  for (const command of ["run", "compile", "inspect", "wast"]) {
    const help = await mlink(command, "--help");
    assert(help.stdout.includes("--no-fuse"), `${command}: ${help.stdout}`);
  }
  for (const command of ["parse", "print", "link"]) {
    const r = await mlink(command, example, "--no-fuse", "-o", "-");
    assertEquals(r.code, 2, command);
    assert(r.stderr.startsWith("error: unknown option --no-fuse"), r.stderr);
  }
  const misspelt = await mlink("compile", example, "--nofuse", "-o", "-");
  assertEquals(misspelt.code, 2);
  assert(misspelt.stderr.startsWith("error: unknown option --nofuse"), misspelt.stderr);
  const valued = await mlink("inspect", example, "--no-fuse=yes");
  assertEquals(valued.code, 2);
  assert(valued.stderr.startsWith("error: --no-fuse takes no value"), valued.stderr);
});

Deno.test("wast --no-fuse: --verbose tells whether each module was fused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/closed.wast`;
    await Deno.writeTextFile(script, `${CLOSED}\n(assert_return (invoke "f") (i32.const 7))\n`);
    const fused = await mlink("wast", script, "--verbose", "--timeout", "0");
    assertEquals(fused.code, 0, fused.stdout);
    assert(fused.stdout.includes(`${script}:1: module: ok (fused)\n`), fused.stdout);
    const unfused = await mlink("wast", script, "--verbose", "--no-fuse", "--timeout", "0");
    assertEquals(unfused.code, 0, unfused.stdout);
    assert(unfused.stdout.includes(`${script}:1: module: ok (not fused)\n`), unfused.stdout);
    assert(unfused.stdout.trimEnd().endsWith("2 passed, 0 failed"), unfused.stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
