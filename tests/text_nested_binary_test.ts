/**
 * Nested modules given as binaries in module-linking text:
 * `(module $m binary "…")` and `(module $m (file "m.wasm"))`.
 */

import { assert, assertEquals, assertRejects } from "@std/assert";
import { compile, CompileError, instantiate, parseWat, WatError } from "../mod.ts";
import { decode, encode } from "../lib/binary/mod.ts";
import type { ModuleIR } from "../lib/ir.ts";
import { directoryOf, fileReader, resolveFile } from "../lib/file_reader.ts";
import { aliases, aliasOuter, bin, ex, exports, instances, modules } from "./helpers/build.ts";

/** `bytes` as the body of a wat string: `\00\61…`. */
function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => "\\" + b.toString(16).padStart(2, "0")).join("");
}

/** The nested modules of a binary's top-level module, in order. */
function nestedModules(bytes: Uint8Array): ModuleIR[] {
  return decode(bytes).sections.flatMap((s) => s.id === 14 ? s.modules : []);
}

async function assertWatError(
  promise: () => Promise<unknown>,
  reason: string | RegExp,
  line: number,
  column: number,
): Promise<WatError> {
  const e = await assertRejects(promise, WatError);
  if (typeof reason === "string") assertEquals(e.reason, reason);
  else assert(reason.test(e.reason), `unexpected message: ${e.reason}`);
  assertEquals([e.line, e.column], [line, column], e.message);
  return e;
}

/** A core module with a memory and two functions, compiled from text. */
const LIBC = await parseWat(`(module
  (memory (export "memory") 1)
  (func (export "inc") (param i32) (result i32) local.get 0 i32.const 1 i32.add)
  (func (export "load") (param i32) (result i32) local.get 0 i32.load))`);

/** A core module that needs a function and a memory. */
const NEEDY = await parseWat(`(module
  (import "env" "log" (func $log (param i32)))
  (import "mem" (memory 1))
  (func (export "run") (param i32) local.get 0 call $log))`);

/** A module-linking module nesting a module, with an import and module/instance exports. */
const LINKED = await parseWat(`(module $ml
  (import "base" (global $base i32))
  (module $inner (func (export "f") (result i32) i32.const 7))
  (instance $in (instantiate $inner))
  (func (export "g") (result i32) global.get $base i32.const 1 i32.add)
  (export "inner" (instance $in))
  (export "mod" (module $inner)))`);

// ---- binary strings --------------------------------------------------------

Deno.test("binary: a core module is instantiated and its function and memory re-exported", async () => {
  const module = await compile(`(module
  (module $libc binary "${hex(LIBC)}")
  (instance $i (instantiate $libc))
  (alias $i "memory" (memory $m))
  (func $load (alias $i "load"))
  (export "inc" (func $i "inc"))
  (export "load" (func $load))
  (export "memory" (memory $m)))`);
  const { exports } = await instantiate(module);
  assertEquals((exports.inc as (x: number) => number)(41), 42);
  const memory = exports.memory as WebAssembly.Memory;
  assert(memory instanceof WebAssembly.Memory);
  new DataView(memory.buffer).setInt32(16, 1234, true);
  assertEquals((exports.load as (at: number) => number)(16), 1234);
  assertEquals(module.exports().map((e) => [e.name, e.kind]), [
    ["inc", "func"],
    ["load", "func"],
    ["memory", "memory"],
  ]);
});

Deno.test("binary: the embedded bytes reach the output unchanged", async () => {
  const out = await parseWat(`(module
  (module $a binary "${hex(LIBC.subarray(0, 8))}" "${hex(LIBC.subarray(8))}")
  (module $b (export "linked") binary "${hex(LINKED)}"))`);
  const [a, b] = nestedModules(out);
  assertEquals(encode(a), LIBC);
  assertEquals(encode(b), LINKED);
  // No name section is added: the module is exactly the bytes given.
  const text = hex(out);
  assert(text.includes(hex(LIBC)) && text.includes(hex(LINKED)));
  assertEquals(
    decode(out).sections.flatMap((s) => s.id === 7 ? s.exports : []).map((e) => [e.name, e.kind]),
    [["linked", 5]],
  );
});

Deno.test("binary: a module-linking binary with a nested module, instantiated with named arguments", async () => {
  const text = `(module
  (import "b" (global $b i32))
  (module $ml binary "${hex(LINKED)}")
  (instance $i (instantiate $ml (import "base" (global $b))))
  (alias $i "mod" (module $m))
  (instance $j (instantiate $m))
  (export "g" (func $i "g"))
  (export "f" (func $i "inner" "f"))
  (export "f2" (func $j "f"))
  (export "inner" (instance $i "inner")))`;
  const module = await compile(text);
  const { exports } = await instantiate(module, {
    b: new WebAssembly.Global({ value: "i32" }, 41),
  });
  assertEquals((exports.g as () => number)(), 42);
  assertEquals((exports.f as () => number)(), 7);
  assertEquals((exports.f2 as () => number)(), 7);
  assertEquals(nestedModules(await parseWat(text)).map(encode), [LINKED]);
});

Deno.test("binary: imports of the embedded module are satisfied by named arguments", async () => {
  const logged: number[] = [];
  const module = await compile(`(module
  (import "env" (instance $env (export "log" (func (param i32)))))
  (import "mem" (memory $mem 1))
  (module $needy binary "${hex(NEEDY)}")
  (instance $n (instantiate $needy (import "env" (instance $env)) (import "mem" (memory $mem))))
  (export "run" (func $n "run")))`);
  const { exports } = await instantiate(module, {
    env: { log: (x: number) => logged.push(x) },
    mem: new WebAssembly.Memory({ initial: 1 }),
  });
  (exports.run as (x: number) => void)(5);
  assertEquals(logged, [5]);
});

Deno.test("binary: an argument of the wrong type is a CompileError naming both types", async () => {
  const text = `(module
  (import "b" (global $b i64))
  (module $ml binary "${hex(LINKED)}")
  (instance $i (instantiate $ml (import "base" (global $b)))))`;
  const e = await assertRejects(() => compile(text), CompileError);
  assertEquals(
    e.reason,
    'instantiate module 0: argument "base": expected (global i32), got (global i64)',
  );
  // Exactly what the same module written as text gets.
  const asText = `(module
  (import "b" (global $b i64))
  (module $ml (import "base" (global i32)))
  (instance $i (instantiate $ml (import "base" (global $b)))))`;
  const t = await assertRejects(() => compile(asText), CompileError);
  assertEquals(t.reason, e.reason);
});

Deno.test("binary: aliasing an export the embedded module lacks is a WatError", async () => {
  await assertWatError(
    () =>
      parseWat(`(module
  (module $libc binary "${hex(LIBC)}")
  (instance $i (instantiate $libc))
  (export "f" (func $i "nope")))`),
    'unknown instance export "nope"',
    4,
    24,
  );
  await assertWatError(
    () =>
      parseWat(`(module
  (module $libc binary "${hex(LIBC)}")
  (instance $i (instantiate $libc))
  (alias $i "inc" (memory $m)))`),
    'instance export "inc" is a func, not a memory',
    4,
    13,
  );
});

Deno.test("binary: a malformed embedded binary is a WatError at the string holding the bad byte", async () => {
  const text = `(module
  (module $bad binary
    "\\00asm\\01\\00\\00\\00"
    "\\63\\00"))`;
  const e = await assertWatError(
    () => parseWat(text, { filename: "bad.wat" }),
    "in the embedded binary, at byte offset 0x8: malformed section id 99",
    4,
    5,
  );
  assertEquals(e.file, "bad.wat");
  await assertWatError(
    () => parseWat(`(module (module binary "\\00asm\\02\\00\\00\\00"))`),
    "in the embedded binary, at byte offset 0x4: unknown binary version",
    1,
    24,
  );
  await assertWatError(
    () => parseWat(`(module (module binary))`),
    /^in the embedded binary, at byte offset 0x0: /,
    1,
    17,
  );
  await assertWatError(
    () => parseWat(`(module (module $m binary "\\00asm" $x))`),
    "expected a string, found $x",
    1,
    36,
  );
});

Deno.test("binary: invalid module linking inside the embedded binary names its module and offset", async () => {
  // An instance of module 3, which does not exist, inside the embedded module's nested module.
  const inner = bin(instances({ module: 3 }));
  const outer = bin(modules(decode(inner)));
  await assertWatError(
    () => parseWat(`(module\n  (module $m binary "${hex(outer)}"))`),
    "in the embedded binary, module 0, at byte offset 0x17: " +
      "instantiate: module index 3 out of bounds (0 defined so far)",
    2,
    21,
  );
  // A binary is a whole module: it cannot reach into the text around it.
  await assertWatError(
    () => parseWat(`(module (module $m binary "${hex(bin(aliases(aliasOuter(0, 5, 0))))}"))`),
    /^in the embedded binary, at byte offset 0xb: outer alias depth 0 out of range/,
    1,
    27,
  );
});

Deno.test("binary: an embedded module counts towards the nesting limit", async () => {
  let ir: ModuleIR = { sections: [] };
  for (let i = 0; i < 99; i++) ir = { sections: [modules(ir), exports(ex("m", 5, 0))] };
  const deep = encode(ir); // 99 levels inside it: at depth 1, that is 100.
  await parseWat(`(module (module binary "${hex(deep)}"))`);
  await assertWatError(
    () => parseWat(`(module (module (module binary "${hex(deep)}")))`),
    "modules nested more than 100 deep",
    1,
    32,
  );
});

// ---- files -----------------------------------------------------------------

async function tempDir(files: Record<string, Uint8Array | string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "mlink-nested-" });
  for (const [name, content] of Object.entries(files)) {
    const path = `${dir}/${name}`;
    await Deno.mkdir(directoryOf(path), { recursive: true });
    if (typeof content === "string") await Deno.writeTextFile(path, content);
    else await Deno.writeFile(path, content);
  }
  return dir;
}

Deno.test("file: modules read relative to the text file's directory", async () => {
  const dir = await tempDir({ "lib/libc.wasm": LIBC, "linked.wasm": LINKED });
  try {
    const path = `${dir}/app.wat`;
    const text = `(module
  (import "b" (global $b i32))
  (module $libc (file "lib/libc.wasm"))
  (module $ml (file "${dir}/linked.wasm"))
  (instance $c (instantiate $libc))
  (instance $l (instantiate $ml (import "base" (global $b))))
  (export "inc" (func $c "inc"))
  (export "memory" (memory $c "memory"))
  (export "g" (func $l "g")))`;
    const module = await compile(text, { filename: path, readFile: fileReader(directoryOf(path)) });
    const { exports } = await instantiate(module, {
      b: new WebAssembly.Global({ value: "i32" }, 1),
    });
    assertEquals((exports.inc as (x: number) => number)(1), 2);
    assertEquals((exports.g as () => number)(), 2);
    assert(exports.memory instanceof WebAssembly.Memory);
    const out = await parseWat(text, { readFile: fileReader(dir) });
    assertEquals(nestedModules(out).map(encode), [LIBC, LINKED]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("file: any reader works, synchronous or not, and each path is read once", async () => {
  const reads: string[] = [];
  const readFile = (path: string) => {
    reads.push(path);
    return LIBC;
  };
  const out = await parseWat(
    `(module
  (module $a (file "libc.wasm"))
  (module $outer
    (module $b (export "b") (file "libc.wasm"))))`,
    { readFile },
  );
  assertEquals(reads, ["libc.wasm"]);
  const [a, outer] = nestedModules(out);
  assertEquals(encode(a), LIBC);
  assertEquals(nestedModules(encode(outer)).map(encode), [LIBC]);
});

Deno.test("file: a missing file is a WatError at its path", async () => {
  const dir = await tempDir({});
  try {
    await assertWatError(
      () =>
        parseWat(`(module\n  (module $libc (file "libc.wasm")))`, {
          filename: `${dir}/app.wat`,
          readFile: fileReader(dir),
        }),
      "cannot read libc.wasm: No such file or directory",
      2,
      23,
    );
    await assertWatError(
      () => parseWat(`(module (module (file "sub")))`, { readFile: fileReader(dir + "/..") }),
      /^cannot read sub: /,
      1,
      23,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  // The first failure in the text is the one reported; a reader's own message is kept.
  await assertWatError(
    () =>
      parseWat(`(module (module (file "a.wasm")) (module (file "b.wasm")))`, {
        readFile: (p) => Promise.reject(new Error(`no ${p} here`)),
      }),
    "no a.wasm here",
    1,
    23,
  );
});

Deno.test("file: without a reader, (file …) says one is needed", async () => {
  const needs = "(file …) needs a file reader: pass the readFile option to parseWat or compile " +
    "(lib/file_reader.ts has one that reads relative to a directory)";
  await assertWatError(
    () =>
      parseWat(`(module\n  (module $x (import "a" (func)))\n  (module $libc (file "libc.wasm")))`),
    needs,
    3,
    17,
  );
  await assertWatError(() => compile(`(module (module (file "x.wasm")))`), needs, 1, 17);
});

Deno.test("file: a text file is refused, and other files are checked as binaries", async () => {
  const read = (files: Record<string, Uint8Array>) => (p: string) => files[p];
  const wat = new TextEncoder().encode("  ;; libc\n(module)");
  await assertWatError(
    () => parseWat(`(module (module (file "libc.wat")))`, { readFile: read({ "libc.wat": wat }) }),
    "libc.wat holds text, not a WebAssembly binary: only binaries can be included " +
      "(convert it first, e.g. with `cli.ts parse`)",
    1,
    23,
  );
  await assertWatError(
    () =>
      parseWat(`(module (module (file "x.bin")))`, {
        readFile: read({ "x.bin": new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0x63]) }),
      }),
    "in x.bin, at byte offset 0x8: malformed section id 99",
    1,
    23,
  );
});

Deno.test("file: malformed (file …) forms", async () => {
  const readFile = () => LIBC;
  await assertWatError(
    () => parseWat(`(module (module (file)))`, { readFile }),
    'expected a file path string: (file "name.wasm"), found )',
    1,
    22,
  );
  await assertWatError(
    () => parseWat(`(module (module (file "a" "b")))`, { readFile }),
    'unexpected "b"',
    1,
    27,
  );
  await assertWatError(
    () => parseWat(`(module (module (file "a") (func)))`, { readFile }),
    "unexpected (func …): a module read from a file has no fields",
    1,
    28,
  );
});

Deno.test("file reader: paths and directories", () => {
  assertEquals(resolveFile("src", "lib/libc.wasm"), "src/lib/libc.wasm");
  assertEquals(resolveFile("src/", "a.wasm"), "src/a.wasm");
  assertEquals(resolveFile("src", "/opt/a.wasm"), "/opt/a.wasm");
  assertEquals(resolveFile("src", "C:\\lib\\a.wasm"), "C:\\lib\\a.wasm");
  assertEquals(resolveFile(".", "a.wasm"), "./a.wasm");
  assertEquals(directoryOf("wat/app.wat"), "wat");
  assertEquals(directoryOf("app.wat"), ".");
  assertEquals(directoryOf("/app.wat"), "/");
  assertEquals(directoryOf("C:\\src\\app.wat"), "C:\\src");
  assertEquals(directoryOf("C:\\app.wat"), "C:\\");
});
