/**
 * Real programs, compiled from C (and the Lua interpreter), run through
 * `cli.ts run` as a user runs them: from their `.wasm`, from an artifact,
 * and linked into a module-linking binary. The fixtures and their expected
 * outputs are described in tests/fixtures/wasi/README.md.
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { compile, link } from "../mod.ts";

const fixtures = new URL("./fixtures/wasi/", import.meta.url).pathname;
const cli = new URL("../cli.ts", import.meta.url).pathname;
const text = new TextDecoder();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function mlink(args: string[], stdin = ""): Promise<Run> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", cli, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const out = await child.output();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/**
 * A program as its `.wasm`, as an artifact, and linked (alone) into a
 * module-linking binary, which nests it and passes WASI down to it; the last
 * two are written to `dir`.
 */
async function forms(name: string, dir: string): Promise<Record<string, string>> {
  const bytes = await Deno.readFile(`${fixtures}${name}.wasm`);
  const artifact = `${dir}/${name}.mlk`;
  await Deno.writeFile(artifact, (await compile(bytes)).serialize());
  const linked = `${dir}/${name}.linked.wasm`;
  await Deno.writeFile(linked, link({ name: `${name}.wasm`, bytes }, []));
  return { binary: `${fixtures}${name}.wasm`, artifact, linked };
}

async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("hello: stdout, argv, env and the exit code", async () => {
  await withTempDir(async (dir) => {
    for (const [form, file] of Object.entries(await forms("hello", dir))) {
      const base = file.split("/").pop()!;
      const plain = await mlink(["run", file, "a", "b c", "", "--not-an-option"]);
      assertEquals(plain.stderr, "", form);
      assertEquals(plain.code, 0, form);
      assertEquals(
        plain.stdout,
        `hello from C\nargc=5\nargv[0]=${base}\nargv[1]=a\nargv[2]=b c\nargv[3]=\nargv[4]=--not-an-option\nGREETING unset\n`,
        form,
      );
      const exits = await mlink(["run", "--env", "GREETING=hi there", "--env=EXIT_CODE=7", file]);
      assertEquals(exits.code, 7, form);
      assertStringIncludes(exits.stdout, "GREETING=hi there\n", form);
    }
  });
});

Deno.test("files: reads and writes in a preopen, and cannot leave it", async () => {
  await withTempDir(async (dir) => {
    const data = `${dir}/data`;
    await Deno.mkdir(data);
    await Deno.copyFile(`${fixtures}data/in.txt`, `${data}/in.txt`);
    const expected = await Deno.readFile(`${fixtures}data/out.expected.txt`);
    for (const [form, file] of Object.entries(await forms("files", dir))) {
      await Deno.remove(`${data}/out.txt`).catch(() => {});
      const r = await mlink([
        "run",
        "--dir",
        `${data}::/data`,
        file,
        "/data/in.txt",
        "/data/out.txt",
      ]);
      assertEquals([r.code, r.stderr], [0, ""], form);
      assertEquals(r.stdout, "read 141 bytes, 4 lines\nwrote /data/out.txt\n", form);
      assertEquals(await Deno.readFile(`${data}/out.txt`), expected, form);
      const missing = await mlink([
        "run",
        "--dir",
        `${data}::/data`,
        file,
        "/data/nope.txt",
        "/data/o",
      ]);
      assertEquals(missing.code, 2, form);
      assertEquals(
        missing.stderr,
        "files: cannot open /data/nope.txt: No such file or directory\n",
      );
      // `..` may not climb out of the preopen, and nothing else is visible.
      await Deno.writeTextFile(`${dir}/secret.txt`, "secret");
      for (const path of ["/data/../secret.txt", "/secret.txt", `${dir}/secret.txt`]) {
        const escape = await mlink(["run", "--dir", `${data}::/data`, file, path, "/data/leak"]);
        assertEquals(escape.code, 2, `${form} ${path}`);
        assertStringIncludes(escape.stderr, `files: cannot open ${path}`);
      }
      assertEquals(await Deno.stat(`${data}/leak`).catch(() => null), null);
    }
  });
});

Deno.test("cat and alloc: stdin, and heavy malloc growing memory to 700 pages", async () => {
  await withTempDir(async (dir) => {
    for (const [form, file] of Object.entries(await forms("cat", dir))) {
      const cat = await mlink(["run", file], "line one\nline two\n");
      assertEquals(
        [cat.code, cat.stdout, cat.stderr],
        [0, "line one\nline two\n", "cat: 18 bytes\n"],
        form,
      );
    }
    for (const [form, file] of Object.entries(await forms("alloc", dir))) {
      const r = await mlink(["run", file]);
      assertEquals([r.code, r.stderr], [0, ""], form);
      assertEquals(
        r.stdout,
        "ops=200000 mallocs=48860 reallocs=37682 frees=48860\nalloc ok: checksum=f316fbd7 peak=39104810\n",
      );
    }
  });
});

Deno.test("lua: the real interpreter runs a script from a preopen; an error exits 1", async () => {
  await withTempDir(async (dir) => {
    for (const [form, file] of Object.entries(await forms("lua", dir))) {
      const r = await mlink([
        "run",
        "--dir",
        `${fixtures}lua::/data`,
        file,
        "/data/hello.lua",
        "/data/in.txt",
      ]);
      assertEquals([r.code, r.stderr], [0, ""], form);
      assert(r.stdout.startsWith("hello from Lua 5.4\n"), r.stdout);
      assert(r.stdout.endsWith("lines=5 words=31\n"), r.stdout);
      const e = await mlink(["run", "--dir", `${fixtures}lua::/data`, file, "/data/error.lua"]);
      assertEquals([e.code, e.stdout], [1, "before error\n"], form);
      assertStringIncludes(e.stderr, "lua: /data/error.lua:6: boom");
    }
  });
});

const GREETINGS = "main: calling greeter\n" +
  [1, 2, 3].map((n) => `greeter: hello #${n} (ready=1)\n`).join("") +
  "main: greeter said 3 times\n";

Deno.test("two C modules with their own memories and libcs, linked by --preload", async () => {
  const r = await mlink([
    "run",
    "--preload",
    `greeter=${fixtures}greeter.wasm`,
    `${fixtures}main2.wasm`,
  ]);
  assertEquals(r.stderr, "");
  assertEquals(r.code, 3);
  assertEquals(r.stdout, GREETINGS);
  const missing = await mlink(["run", `${fixtures}main2.wasm`]);
  assertEquals(missing.code, 1);
  assertStringIncludes(missing.stderr, 'unknown import: import "greeter" was not provided');
  const unused = await mlink([
    "run",
    "--preload",
    `nobody=${fixtures}greeter.wasm`,
    `${fixtures}hello.wasm`,
  ]);
  assertEquals(unused.code, 2);
  assertStringIncludes(unused.stderr, 'nothing imports "nobody"');
});

Deno.test("run: traps exit 134 with the trap on stderr; bad files and dirs are one line", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/trap.wat`,
      `(module (func $f unreachable) (func (export "_start") (call $f)))`,
    );
    const trap = await mlink(["run", `${dir}/trap.wat`]);
    assertEquals(trap.code, 134);
    assertStringIncludes(trap.stderr, "error: the program trapped: RuntimeError: unreachable");
    assertStringIncludes(trap.stderr, "wasm://");
    await Deno.writeTextFile(
      `${dir}/deep.wat`,
      `(module (func $f (call $f)) (func (export "_start") (call $f)))`,
    );
    const deep = await mlink(["run", `${dir}/deep.wat`]);
    assertEquals(deep.code, 134);
    assertStringIncludes(deep.stderr, "call stack exhausted");
    const none = await mlink(["run", `${dir}/nope.wasm`]);
    assertEquals([none.code, none.stderr], [
      1,
      `error: cannot read ${dir}/nope.wasm: no such file or directory\n`,
    ]);
    const notDir = await mlink(["run", "--dir", `${dir}/trap.wat::/d`, `${dir}/trap.wat`]);
    assertEquals(notDir.code, 2);
    assertStringIncludes(notDir.stderr, "is not a directory");
    // A command takes every word after FILE as its own.
    const words = await mlink(["run", `${fixtures}hello.wasm`, "--invoke", "f"]);
    assertEquals(words.code, 0);
    assertStringIncludes(words.stdout, "argv[1]=--invoke\nargv[2]=f\n");
  });
});

Deno.test("cli.ts link: a command and a reactor become one binary that runs, from .wasm and .mlk", async () => {
  await withTempDir(async (dir) => {
    const out = `${dir}/app.wasm`;
    const made = await mlink([
      "link",
      `${fixtures}main2.wasm`,
      "--module",
      `greeter=${fixtures}greeter.wasm`,
      "-o",
      out,
    ]);
    assertEquals([made.code, made.stderr], [0, ""]);
    assert(made.stdout.startsWith(`wrote ${out} (`), made.stdout);
    const compiled = await mlink(["compile", out, "-o", `${dir}/app.mlk`]);
    assertEquals(compiled.code, 0, compiled.stderr);
    // By hand in text, with the compiled modules nested by (file …).
    for (const file of [out, `${dir}/app.mlk`, `${fixtures}two.wat`]) {
      const r = await mlink(["run", file]);
      assertEquals([r.code, r.stdout, r.stderr], [3, GREETINGS, ""], file);
    }
    const inspect = await mlink(["inspect", out]);
    assertStringIncludes(inspect.stdout, "module $greeter");
    assertStringIncludes(inspect.stdout, "module $main");
  });
});

Deno.test("cli.ts link: errors name both modules and the field; bad usage exits 2", async () => {
  await withTempDir(async (dir) => {
    const out = `${dir}/x.wasm`;
    const wrong = await mlink([
      "link",
      `${fixtures}main2.wasm`,
      "--module",
      `greeter=${fixtures}hello.wasm`,
      "-o",
      out,
    ]);
    assertEquals(wrong.code, 1);
    assertStringIncludes(
      wrong.stderr,
      'main2.wasm imports "greeter" "greet", but module greeter exports no "greet"',
    );
    assertEquals(await Deno.stat(out).catch(() => null), null, "nothing is written on error");
    for (
      const [args, message] of [
        [[`${fixtures}main2.wasm`], "link needs -o OUT"],
        [["-o", out], "link needs MAIN"],
        [[`${fixtures}main2.wasm`, "--modul", "a=b", "-o", out], "unknown option --modul"],
        [[`${fixtures}main2.wasm`, "--module", "greeter", "-o", out], "--module greeter:"],
        [[`${fixtures}main2.wasm`, `${fixtures}hello.wasm`, "-o", out], "link takes one MAIN"],
      ] as const
    ) {
      const r = await mlink(["link", ...args]);
      assertEquals(r.code, 2, args.join(" "));
      assertStringIncludes(r.stderr, message);
    }
  });
});

Deno.test("run --preload: a module import gets the module itself, to instantiate as it likes", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/lib.wat`,
      `(module (func (export "seven") (result i32) i32.const 7))`,
    );
    await Deno.writeTextFile(
      `${dir}/main.wat`,
      `(module
        (import "wasi_snapshot_preview1" (instance $wasi (export "proc_exit" (func (param i32)))))
        (import "lib" (module $lib (export "seven" (func (result i32)))))
        (instance $i (instantiate $lib))
        (module $m
          (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
          (import "lib" "seven" (func $seven (result i32)))
          (func (export "_start") (call $exit (call $seven))))
        (instance $mi (instantiate $m
          (import "wasi_snapshot_preview1" (instance $wasi))
          (import "lib" (instance $i))))
        (export "_start" (func $mi "_start")))`,
    );
    const r = await mlink(["run", "--preload", `lib=${dir}/lib.wat`, `${dir}/main.wat`]);
    assertEquals([r.code, r.stderr], [7, ""]);
    // A reactor called with --invoke is initialized first.
    const greet = await mlink(["run", "--invoke", "greet", `${fixtures}greeter.wasm`, "5"]);
    assertEquals([greet.code, greet.stdout], [0, "greeter: hello #5 (ready=1)\n1\n"]);
  });
});
