/**
 * The command line and the library's entry points on hostile input: unknown
 * options and stray words, command names from `Object.prototype`, bytes that
 * are no module, unreadable files, bad `--invoke` arguments and API misuse.
 * Each ends in one line and exit code 2 (usage) or 1, or in a typed error.
 */

import { assert, assertEquals, assertMatch, assertRejects, assertThrows } from "@std/assert";
import denoJson from "../deno.json" with { type: "json" };
import { compile, CompileError, compileSync, instantiate, parseWat, WatError } from "../mod.ts";
import { InvokeError, invokeExport } from "../lib/cli/invoke.ts";
import { detectContent } from "../lib/content.ts";

const cli = new URL("../cli.ts", import.meta.url).pathname;
const example = new URL("../examples/hello.wat", import.meta.url).pathname;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  bytes: Uint8Array;
}

async function mlink(...args: string[]): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", cli, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return {
    code: out.code,
    stdout: text.decode(out.stdout),
    stderr: text.decode(out.stderr),
    bytes: out.stdout,
  };
}

/** Runs every case at once; each is `[args, exit code, stderr pattern]`. */
async function expectAll(cases: readonly [string[], number, RegExp][]): Promise<void> {
  const runs = await Promise.all(cases.map(([args]) => mlink(...args)));
  runs.forEach((r, i) => {
    const [args, code, pattern] = cases[i];
    const what = args.join(" ");
    assertEquals(r.code, code, `${what}: ${r.stderr}`);
    assertMatch(r.stderr, pattern, what);
    assertEquals(r.stderr.trimEnd().split("\n").length, 1, `${what}: one line\n${r.stderr}`);
  });
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("every command rejects unknown options and extra words with exit code 2", async () => {
  await withTempDir(async (dir) => {
    const out = `${dir}/out`;
    const usage = (command: string, message: string) =>
      new RegExp(`^error: ${message}[^\\n]* \\(see: mlink ${command} --help\\)\\n$`);
    await expectAll([
      [["inspect", example, "--jsn"], 2, usage("inspect", "unknown option --jsn")],
      [["inspect", "--jsn=1", example], 2, usage("inspect", "unknown option --jsn")],
      [["inspect", example, "--json=yes"], 2, usage("inspect", "--json takes no value")],
      [["inspect", example, "extra"], 2, usage("inspect", "unexpected argument extra")],
      [["parse", example, "-o", out, "--frob"], 2, usage("parse", "unknown option --frob")],
      [["parse", example, example, "-o", out], 2, usage("parse", "unexpected argument")],
      [["parse", example, "-o", out, "-o", out], 2, usage("parse", "-o is given twice")],
      [["parse", example, "-o", ""], 2, usage("parse", "-o needs a value")],
      [["parse", example, "-o"], 2, usage("parse", "-o needs a value")],
      [["compile", example, "-o", out, "--esn"], 2, usage("compile", "unknown option --esn")],
      [["compile", example, "x", "-o", out], 2, usage("compile", "unexpected argument x")],
      [["types", example, "--json"], 2, usage("types", "unknown option --json")],
      [["types", "-x", example], 2, usage("types", "unknown option -x")],
      [["wast", example, "--verbse"], 2, usage("wast", "unknown option --verbse")],
      [
        ["precompile", example, "--out", dir, "--force"],
        2,
        usage("precompile", "unknown option --force"),
      ],
      [["precompile", example], 2, usage("precompile", "precompile needs PATH… and --out DIR")],
      [["run", "--invok", "main", example], 2, usage("run", "unknown option --invok")],
      [["validate", example, "--jsn"], 2, usage("validate", "unknown option --jsn")],
      [["validate", "-o", out, example], 2, usage("validate", "unknown option -o")],
      [["validate"], 2, usage("validate", "validate needs FILE…")],
      [["print", example, "extra"], 2, usage("print", "unexpected argument extra")],
      [["print", example, "-o"], 2, usage("print", "-o needs a value")],
      [["print", example, "-o", out, "-o", out], 2, usage("print", "-o is given twice")],
      [["print"], 2, usage("print", "print needs a FILE")],
      [
        ["link", example, "-o", out, "--modules", "a=b"],
        2,
        usage("link", "unknown option --modules"),
      ],
    ]);
    // Nothing was written by any of them.
    assertEquals([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("command names are own properties only; help and --version", async () => {
  const unknown = (name: string) =>
    new RegExp(`^error: unknown command "${name}" \\(see: mlink help\\)\\n$`);
  await expectAll([
    [["constructor"], 2, unknown("constructor")],
    [["__proto__"], 2, unknown("__proto__")],
    [["toString", example], 2, unknown("toString")],
    [["hasOwnProperty"], 2, unknown("hasOwnProperty")],
    [["help", "bogus"], 2, unknown("bogus")],
    [["help", "constructor"], 2, unknown("constructor")],
    [["help", "run", "parse"], 2, /^error: unexpected argument parse: help takes one COMMAND/],
    [["--frobnicate"], 2, /^error: unknown option --frobnicate \(see: mlink help\)\n$/],
    [["--version", "x"], 2, /^error: unexpected argument x/],
  ]);
  const version = await mlink("--version");
  assertEquals([version.code, version.stdout], [0, `mlink ${denoJson.version}\n`]);
  const help = await mlink("help", "inspect");
  assertEquals(help.code, 0);
  assert(help.stdout.startsWith("mlink inspect"), help.stdout);
  const general = await mlink("--help");
  assert(general.stdout.includes("--version"), general.stdout);
});

Deno.test("content is detected the same way by every command: bytes that are no module say so", async () => {
  await withTempDir(async (dir) => {
    const random = new Uint8Array(256).map((_, i) => (i * 167 + 13) & 0xff);
    await Deno.writeFile(`${dir}/random.wasm`, random);
    await Deno.writeFile(`${dir}/latin1.wat`, new Uint8Array([0x28, 0x6d, 0xe9, 0x29]));
    await Deno.writeFile(`${dir}/empty.wat`, new Uint8Array());
    await Deno.writeTextFile(
      `${dir}/text.wasm`,
      `(module (func (export "f") (result i32) i32.const 5))`,
    );
    const none = (file: string, why: string) =>
      new RegExp(
        `^error: ${dir}/${file}: not a WebAssembly binary, text or artifact: ${why}.*\\n$`,
      );
    await expectAll([
      [["run", `${dir}/random.wasm`], 1, none("random.wasm", "it has a NUL byte at offset 0x")],
      [["parse", `${dir}/random.wasm`, "-o", `${dir}/o`], 1, none("random.wasm", "it has a NUL")],
      [["inspect", `${dir}/random.wasm`], 1, none("random.wasm", "it has a NUL")],
      [["types", `${dir}/random.wasm`], 1, none("random.wasm", "it has a NUL")],
      [["validate", `${dir}/random.wasm`], 1, none("random.wasm", "it has a NUL")],
      [["print", `${dir}/random.wasm`], 1, none("random.wasm", "it has a NUL")],
      [["print", `${dir}/empty.wat`], 1, none("empty.wat", "it is empty")],
      [["compile", `${dir}/random.wasm`, "-o", `${dir}/o`], 1, none("random.wasm", "it has a NUL")],
      [
        ["link", `${dir}/random.wasm`, "-o", `${dir}/o`],
        1,
        none("random.wasm", "it has a NUL"),
      ],
      [
        ["run", `${dir}/latin1.wat`],
        1,
        none("latin1.wat", "it is not UTF-8 \\(at byte offset 0x2\\)"),
      ],
      [["parse", `${dir}/empty.wat`, "-o", `${dir}/o`], 1, none("empty.wat", "it is empty")],
      [
        ["parse", `${dir}/text.wasm`, "-o", `${dir}/o.wasm`],
        0,
        /^$/,
      ],
    ]);
    // A binary given to parse is refused; text named .wasm runs as text.
    const parsed = await mlink("parse", `${dir}/o.wasm`, "-o", `${dir}/o2.wasm`);
    assertEquals(parsed.code, 1);
    assertEquals(
      parsed.stderr,
      `error: ${dir}/o.wasm is a WebAssembly binary already: parse takes text\n`,
    );
    const ran = await mlink("run", "--invoke", "f", `${dir}/text.wasm`);
    assertEquals([ran.code, ran.stdout], [0, "5\n"]);
  });
});

Deno.test("unreadable inputs and unwritable outputs are one line that names no other file", async () => {
  await withTempDir(async (dir) => {
    const fifo = await new Deno.Command("mkfifo", { args: [`${dir}/fifo.wat`] }).output();
    assert(fifo.success);
    await Deno.writeTextFile(`${dir}/file`, "");
    // A sparse file of 2 GiB: refused by its size, before anything is allocated.
    await Deno.writeFile(`${dir}/huge.wasm`, new Uint8Array());
    await Deno.truncate(`${dir}/huge.wasm`, 2 ** 31);
    const cannot = (file: string, why: string) =>
      new RegExp(`^error: cannot read ${file}: ${why}.*\\n$`);
    await expectAll([
      [
        ["parse", `${dir}/nope.wat`, "-o", `${dir}/o`],
        1,
        cannot(`${dir}/nope.wat`, "no such file or directory"),
      ],
      [["compile", `${dir}/nope.wat`, "-o", `${dir}/o`], 1, cannot(`${dir}/nope.wat`, "no such")],
      [["inspect", dir], 1, cannot(dir, "it is a directory")],
      [["types", `${dir}/fifo.wat`], 1, cannot(`${dir}/fifo.wat`, "not a regular file")],
      [["run", "/dev/zero"], 1, cannot("/dev/zero", "not a regular file")],
      [["inspect", `${dir}/huge.wasm`], 1, cannot(`${dir}/huge.wasm`, "it is larger than")],
      [["link", `${dir}/nope.wasm`, "-o", `${dir}/o`], 1, cannot(`${dir}/nope.wasm`, "no such")],
      [["wast", `${dir}/nope.wast`], 1, cannot(`${dir}/nope.wast`, "no such")],
      [["wast", dir], 1, cannot(dir, "it is a directory")],
      [["validate", dir], 1, cannot(dir, "it is a directory")],
      [["validate", `${dir}/fifo.wat`], 1, cannot(`${dir}/fifo.wat`, "not a regular file")],
      [["print", `${dir}/nope.wasm`], 1, cannot(`${dir}/nope.wasm`, "no such")],
      [["print", `${dir}/huge.wasm`], 1, cannot(`${dir}/huge.wasm`, "it is larger than")],
      [
        ["print", example, "-o", `${dir}/file/below-a-file.wat`],
        1,
        new RegExp(`^error: [^\\n]*${dir}/file/below-a-file.wat: [^.]*\\n$`),
      ],
      [["precompile", `${dir}/nope`, "--out", `${dir}/cache`], 1, cannot(`${dir}/nope`, "no such")],
      [
        ["precompile", example, "--out", `${dir}/file`],
        1,
        new RegExp(`^error: cannot write ${dir}/file: not a directory\\n$`),
      ],
      [
        ["compile", example, "-o", `${dir}/no/such/dir.mlk`],
        1,
        new RegExp(`^error: [^\\n]*${dir}/no/such/dir.mlk: [^.]*\\n$`),
      ],
      [
        ["parse", example, "-o", `${dir}/file/below-a-file.wasm`],
        1,
        new RegExp(`^error: [^\\n]*${dir}/file/below-a-file.wasm: [^.]*\\n$`),
      ],
    ]);
    // No temporary file was left behind either.
    const left = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assertEquals(left, ["fifo.wat", "file", "huge.wasm"]);
  });
});

Deno.test("-o - writes parse's binary and compile's artifact to standard output", async () => {
  const binary = await mlink("parse", example, "-o", "-");
  assertEquals([binary.code, binary.stderr], [0, ""]);
  assertEquals(binary.bytes, await parseWat(await Deno.readTextFile(example)));
  const artifact = await mlink("compile", example, "-o", "-");
  assertEquals([artifact.code, artifact.stderr], [0, ""]);
  assertEquals(detectContent(artifact.bytes).kind, "artifact");
  // A device is written in place, never replaced by a file.
  const sink = await mlink("compile", example, "-o", "/dev/null");
  assertEquals([sink.code, sink.stderr], [0, ""]);
  assert(Deno.statSync("/dev/null").isCharDevice);
  const esm = await mlink("compile", example, "--esm", "-o", "-");
  assertEquals(esm.code, 2);
  assertMatch(esm.stderr, /^error: compile --esm writes OUT.js and OUT.d.ts: -o needs a file name/);
});

Deno.test("--invoke arguments: empty, out-of-range and malformed values are refused", async () => {
  const module = await compile(`(module
    (func (export "i32") (param i32) (result i32) local.get 0)
    (func (export "i64") (param i64) (result i64) local.get 0)
    (func (export "f32") (param f32) (result f32) local.get 0)
    (func (export "f64") (param f64) (result f64) local.get 0))`);
  const instance = await instantiate(module);
  const call = (name: string, arg: string) => invokeExport(module, instance, name, [arg]);
  const bad: [string, string, string][] = [
    ["i32", "", "is not an integer"],
    ["i32", " 1", "is not an integer"],
    ["i32", "1.5", "is not an integer"],
    ["i32", "4294967296", "is out of range for i32"],
    ["i32", "-2147483649", "is out of range for i32"],
    ["i64", "", "is not an integer"],
    ["i64", "18446744073709551616", "is out of range for i64"],
    ["i64", "-9223372036854775809", "is out of range for i64"],
    ["f32", "", "is not a number"],
    ["f32", " ", "is not a number"],
    ["f32", "1e39", "is out of range for f32"],
    ["f32", "-1e39", "is out of range for f32"],
    ["f32", "Infinity1", "is not a number"],
    ["f32", "1_0", "is not a number"],
    ["f64", "1e309", "is out of range for f64"],
    ["f64", "0x", "is not a number"],
  ];
  for (const [type, arg, why] of bad) {
    const e = assertThrows(() => call(type, arg), InvokeError, undefined, `${type} ${arg}`);
    assert(e.message.endsWith(why), `${type} ${JSON.stringify(arg)}: ${e.message}`);
  }
  assertEquals(call("i32", "4294967295"), -1);
  assertEquals(call("i32", "0x7fffffff"), 0x7fffffff);
  assertEquals(call("i64", "18446744073709551615"), -1n);
  assertEquals(call("i64", "-9223372036854775808"), -(2n ** 63n));
  assertEquals(call("f32", "3.4e38"), Math.fround(3.4e38));
  assertEquals(call("f32", "-inf"), -Infinity);
  assert(Number.isNaN(call("f64", "nan")));
});

Deno.test("compile tells bytes apart by content; compileSync refuses text with a CompileError", async () => {
  const text = new TextEncoder().encode(`(module (func (export "f") (result i32) i32.const 9))`);
  const module = await compile(text);
  const { exports } = await instantiate(module);
  assertEquals((exports.f as () => number)(), 9);
  assertEquals((await compile(text.buffer)).exports().length, 1);
  const e = await assertRejects(
    () => Promise.resolve().then(() => compileSync(text)),
    CompileError,
  );
  assert(e.message.includes("compile()"), e.message);
  await assertRejects(() => compile(new TextEncoder().encode("(module")), WatError);
  for (
    const [bytes, why] of [
      [new Uint8Array([1, 2, 3, 0]), "NUL byte"],
      [new Uint8Array([0xc3, 0x28]), "not UTF-8"],
      [new Uint8Array([0xed, 0xa0, 0x80]), "not UTF-8"],
      [new Uint8Array(), "it is empty"],
      [new Uint8Array([0, 0x61, 0x73]), "NUL byte"],
    ] as const
  ) {
    const async = await assertRejects(() => compile(bytes), CompileError);
    assert(async.message.startsWith("not a WebAssembly binary, text or artifact"), async.message);
    assert(async.message.includes(why), async.message);
    const sync = await assertRejects(
      () => Promise.resolve().then(() => compileSync(bytes)),
      CompileError,
    );
    assertEquals(sync.message, async.message);
  }
});

Deno.test("API misuse gives typed errors, never TypeError", async () => {
  for (const text of [null, 5, {}, undefined, [], Symbol("s")]) {
    const e = await assertRejects(() => parseWat(text as unknown as string), WatError);
    assert(e.message.includes("parseWat expects a text string"), e.message);
  }
  for (const options of [null, 5, "app.wat", [], { filename: 5 }, { readFile: "x" }]) {
    await assertRejects(
      () => parseWat("(module)", options as unknown as Record<string, never>),
      WatError,
    );
    const e = await assertRejects(
      () => compile("(module)", options as unknown as Record<string, never>),
      CompileError,
    );
    assert(e.message.startsWith("compile: options"), e.message);
  }
  for (const source of [5, null, undefined, {}, [0, 97, 115, 109], true]) {
    const sync = await assertRejects(
      () => Promise.resolve().then(() => compileSync(source as Uint8Array)),
      CompileError,
    );
    assert(sync.message.startsWith("compileSync expects"), sync.message);
    await assertRejects(() => compile(source as Uint8Array), CompileError);
  }
  const buffer = new ArrayBuffer(8);
  const view = new Uint8Array(buffer);
  structuredClone(buffer, { transfer: [buffer] });
  await assertRejects(() => compile(buffer), CompileError, "detached");
  await assertRejects(() => compile(view), CompileError, "detached");
});
