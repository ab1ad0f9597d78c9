/**
 * The artifact cache: hits and misses, corrupt entries, atomic writes under
 * two concurrent precompile runs.
 */

import { assert, assertEquals, assertRejects } from "@std/assert";
import { ArtifactError, cacheKey, loadCached, Module } from "../mod.ts";
import { loadFromCache } from "../lib/loader.ts";
import { encode } from "../lib/binary/encode.ts";
import { code, ex, exports, func, funcs, I32, i32c, mod, types } from "./helpers/build.ts";
import { instantiateSync } from "../mod.ts";

const constBinary = (n: number) =>
  encode(mod(types(func([], [I32])), funcs(0), exports(ex("f", 0, 0)), code(i32c(n))));

Deno.test("loadCached: miss, then hit; a corrupt entry is reported and replaced", async () => {
  const cacheDir = await Deno.makeTempDir();
  try {
    const input = constBinary(3);
    const first = await loadCached(input, { cacheDir });
    assertEquals(first.outcome, "miss");
    assertEquals(first.path, `${cacheDir}/${await cacheKey(input)}.mlk`);
    const second = await loadCached(input, { cacheDir });
    assertEquals(second.outcome, "hit");
    assertEquals((instantiateSync(second.module).exports.f as () => number)(), 3);

    await Deno.writeFile(first.path, new Uint8Array([0, 0x6d, 0x6c, 0x6b, 1, 2, 3]));
    const reported: string[] = [];
    const third = await loadCached(input, {
      cacheDir,
      onCorrupt: (path, e) => reported.push(`${path}: ${e.reason}`),
    });
    assertEquals(third.outcome, "replaced");
    assertEquals(reported, [`${first.path}: truncated artifact: header cut short`]);
    Module.deserialize(await Deno.readFile(first.path));
    assertEquals((await loadCached(input, { cacheDir })).outcome, "hit");
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("the loader's cache cannot compile: a miss is an ArtifactError that says what to do", async () => {
  const cacheDir = await Deno.makeTempDir();
  try {
    await assertRejects(
      () => loadFromCache(constBinary(1), { cacheDir }),
      ArtifactError,
      "precompile it",
    );
    await loadCached(constBinary(1), { cacheDir });
    const hit = await loadFromCache(constBinary(1), { cacheDir });
    assertEquals(hit.outcome, "hit");
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("keys change with the input bytes", async () => {
  assert(await cacheKey(constBinary(1)) !== await cacheKey(constBinary(2)));
  assertEquals(await cacheKey(constBinary(1)), await cacheKey(constBinary(1)));
});

Deno.test("two concurrent precompile runs leave only whole artifacts", async () => {
  const src = await Deno.makeTempDir();
  const out = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${src}/nested`);
    for (let i = 0; i < 6; i++) {
      await Deno.writeFile(`${src}/${i < 3 ? "" : "nested/"}m${i}.wasm`, constBinary(i));
    }
    await Deno.writeTextFile(
      `${src}/t.wat`,
      `(module (func (export "f") (result i32) i32.const 40))`,
    );
    await Deno.writeTextFile(`${src}/ignored.txt`, "not an input");
    const cli = new URL("../cli.ts", import.meta.url).pathname;
    const run = () =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", cli, "precompile", src, "--out", out],
        stdout: "piped",
        stderr: "piped",
      }).output();
    const [a, b] = await Promise.all([run(), run()]);
    assert(a.success, new TextDecoder().decode(a.stderr));
    assert(b.success, new TextDecoder().decode(b.stderr));
    const names = [];
    for await (const e of Deno.readDir(out)) names.push(e.name);
    assertEquals(names.filter((n) => n.endsWith(".tmp")), []);
    const artifacts = names.filter((n) => n.endsWith(".mlk"));
    assertEquals(artifacts.length, 7);
    for (const name of artifacts) Module.deserialize(await Deno.readFile(`${out}/${name}`), name);
    const manifest = JSON.parse(await Deno.readTextFile(`${out}/manifest.json`));
    assertEquals(Object.keys(manifest.entries).length, 7);
    assertEquals(
      manifest.entries[`${src}/t.wat`].key,
      await cacheKey(await Deno.readFile(`${src}/t.wat`)),
    );

    // A third run finds everything present.
    const again = await run();
    assert(new TextDecoder().decode(again.stdout).includes("0 compiled, 7 already present"));
  } finally {
    await Deno.remove(src, { recursive: true });
    await Deno.remove(out, { recursive: true });
  }
});
