/**
 * The lightweight loader: its module graph stays free of the compiler, and
 * both entry points work when imported over HTTP.
 */

import { assert, assertEquals } from "@std/assert";
import { compile, compileSync } from "../mod.ts";
import { bin, code, ex, exports, func, funcs, I32, i32c, types } from "./helpers/build.ts";
import { serve } from "./helpers/deploy.ts";

const root = new URL("../", import.meta.url);

/** The module specifiers of `entry`'s import graph, and its npm packages. */
async function graphOf(entry: string): Promise<{ specifiers: string[]; packages: string[] }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(entry, root).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string }[];
    packages?: Record<string, string>;
  };
  return {
    specifiers: info.modules.map((m) => m.specifier),
    packages: Object.keys(info.packages ?? {}),
  };
}

/** What no deploy entry point may pull in. */
function heavy(specifiers: readonly string[]): string[] {
  return specifiers.filter((s) =>
    /\/lib\/(text|compile)\//.test(s) || s.endsWith("/lib/binary/encode.ts") ||
    s.endsWith("/lib/api.ts") || s.includes("wabt")
  );
}

Deno.test("lib/loader.ts pulls in no compiler, text front-end, encoder or wabt", async () => {
  const { specifiers, packages } = await graphOf("lib/loader.ts");
  assert(specifiers.some((s) => s.endsWith("/lib/runtime/instantiate.ts")), "the graph was read");
  assertEquals(heavy(specifiers), []);
  assertEquals(packages.filter((p) => p.includes("wabt")), []);
});

Deno.test("lib/wasi.ts adds only its own files to the loader's graph", async () => {
  const loader = new Set((await graphOf("lib/loader.ts")).specifiers);
  const { specifiers, packages } = await graphOf("lib/wasi.ts");
  assert(specifiers.some((s) => s.endsWith("/lib/wasi/run.ts")), "the graph was read");
  const extra = specifiers.filter((s) => !loader.has(s) && !/\/lib\/wasi(\.ts|\/)/.test(s));
  // Deno's built-in node:wasi, imported on first use: nothing to download.
  assertEquals(extra.sort(), ["node:process", "node:wasi"]);
  assertEquals(heavy(specifiers), []);
  assertEquals(packages, []);
});

Deno.test("importing lib/loader.ts or lib/wasi.ts does no work", async () => {
  // A fresh process with no permissions at all only imports the entries:
  // any file, network or environment access at import time would be denied
  // and fail it, and nothing may be printed.
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/import-only.ts`;
    await Deno.writeTextFile(
      script,
      ["lib/loader.ts", "lib/wasi.ts"].map((entry) =>
        `await import(${JSON.stringify(new URL(entry, root).href)});\n`
      ).join(""),
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "--no-config", script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(out.success, new TextDecoder().decode(out.stderr));
    assertEquals(new TextDecoder().decode(out.stdout), "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * Writes `artifact` as `app.mlk` into a temp dir, and runs the script
 * `source(url, dir)` there with the repository served on 127.0.0.1 at
 * `url`: allowed to import from it and to read the dir, nothing else.
 */
async function runServed(
  artifact: Uint8Array,
  source: (url: string, dir: string) => string,
): Promise<Deno.CommandOutput> {
  const dir = await Deno.makeTempDir();
  const served = serve(root);
  try {
    await Deno.writeFile(`${dir}/app.mlk`, artifact);
    await Deno.writeTextFile(`${dir}/main.ts`, source(served.url, dir));
    return await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        "--no-lock",
        `--allow-import=${new URL(served.url).host}`,
        `--allow-read=${dir}`,
        `${dir}/main.ts`,
      ],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
  } finally {
    await served.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("mod.ts and lib/loader.ts work when imported by URL", async () => {
  const artifact = compileSync(
    bin(types(func([], [I32])), funcs(0), exports(ex("f", 0, 0)), code(i32c(42))),
  ).serialize();
  const out = await runServed(
    artifact,
    (url, dir) =>
      `import { deserialize, instantiate } from "${url}/lib/loader.ts";
import { compile } from "${url}/mod.ts";
const loaded = await instantiate(deserialize(await Deno.readFile("${dir}/app.mlk")));
const compiled = await instantiate(await compile(\`(module (func (export "g") (result i32) i32.const 5))\`));
console.log((loaded.exports.f as () => number)(), (compiled.exports.g as () => number)());
`,
  );
  assert(out.success, new TextDecoder().decode(out.stderr));
  assertEquals(new TextDecoder().decode(out.stdout).trim(), "42 5");
});

Deno.test("a deploy runs a WASI command from an artifact with the loader and lib/wasi.ts by URL", async () => {
  const module = await compile(`(module
    (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (memory (export "memory") 1)
    (data (i32.const 0) "\\10\\00\\00\\00\\03\\00\\00\\00") (data (i32.const 16) "ok\\n")
    (func (export "_start")
      (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (call $exit (i32.const 5))))`);
  const out = await runServed(
    module.serialize(),
    (url, dir) =>
      `import { loadArtifact } from "${url}/lib/loader.ts";
import { runWasi } from "${url}/lib/wasi.ts";
const module = await loadArtifact(await Deno.readFile("${dir}/app.mlk"));
Deno.exit(await runWasi(module, { args: ["app"] }));
`,
  );
  const stderr = new TextDecoder().decode(out.stderr).split("\n");
  assertEquals(stderr.filter((line) => line !== "" && !line.includes("Download")), []);
  assertEquals(new TextDecoder().decode(out.stdout), "ok\n");
  assertEquals(out.code, 5);
});
