/**
 * The lightweight loader: its module graph stays free of the compiler, and
 * both entry points work when imported over HTTP.
 */

import { assert, assertEquals } from "@std/assert";
import { compileSync } from "../mod.ts";
import { bin, code, ex, exports, func, funcs, I32, i32c, types } from "./helpers/build.ts";

const root = new URL("../", import.meta.url);

Deno.test("lib/loader.ts pulls in no compiler, text front-end, encoder or wabt", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL("lib/loader.ts", root).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string }[];
    packages?: Record<string, string>;
  };
  const specifiers = info.modules.map((m) => m.specifier);
  assert(specifiers.some((s) => s.endsWith("/lib/runtime/instantiate.ts")), "the graph was read");
  const banned = specifiers.filter((s) =>
    /\/lib\/(text|compile)\//.test(s) || s.endsWith("/lib/binary/encode.ts") ||
    s.endsWith("/lib/api.ts") || s.includes("wabt")
  );
  assertEquals(banned, []);
  assertEquals(Object.keys(info.packages ?? {}).filter((p) => p.includes("wabt")), []);
});

Deno.test("importing lib/loader.ts does no work", async () => {
  // A fresh process with no permissions at all only imports the loader: any
  // file, network or environment access at import time would be denied and
  // fail it, and nothing may be printed.
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/import-only.ts`;
    await Deno.writeTextFile(
      script,
      `await import(${JSON.stringify(new URL("lib/loader.ts", root).href)});\n`,
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

/** Serves the repository's files read-only on 127.0.0.1. */
function serveRepository(): { url: string; close: () => Promise<void> } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path.includes("..")) return new Response("no", { status: 403 });
    try {
      const body = await Deno.readFile(new URL("." + path, root));
      return new Response(body, { headers: { "content-type": "application/typescript" } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  const { port } = server.addr as Deno.NetAddr;
  return { url: `http://127.0.0.1:${port}`, close: () => server.shutdown() };
}

Deno.test("mod.ts and lib/loader.ts work when imported by URL", async () => {
  const artifact = compileSync(
    bin(types(func([], [I32])), funcs(0), exports(ex("f", 0, 0)), code(i32c(42))),
  ).serialize();
  const dir = await Deno.makeTempDir();
  const served = serveRepository();
  try {
    await Deno.writeFile(`${dir}/app.mlk`, artifact);
    const host = new URL(served.url).host;
    await Deno.writeTextFile(
      `${dir}/main.ts`,
      `import { deserialize, instantiate } from "${served.url}/lib/loader.ts";
import { compile } from "${served.url}/mod.ts";
const loaded = await instantiate(deserialize(await Deno.readFile("${dir}/app.mlk")));
const compiled = await instantiate(await compile(\`(module (func (export "g") (result i32) i32.const 5))\`));
console.log((loaded.exports.f as () => number)(), (compiled.exports.g as () => number)());
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        "--no-lock",
        `--allow-import=${host}`,
        `--allow-read=${dir}`,
        `${dir}/main.ts`,
      ],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert(out.success, stderr);
    assertEquals(new TextDecoder().decode(out.stdout).trim(), "42 5");
  } finally {
    await served.close();
    await Deno.remove(dir, { recursive: true });
  }
});
