/**
 * `dist/loader.js`, the single-file build of `lib/loader.ts`: current (a
 * rebuild gives the same bytes), self-contained, complete, and it runs an
 * artifact.
 */

import { assert, assertEquals } from "@std/assert";
import { compile } from "../mod.ts";
import { graphOf, inTempDir, moduleReferences, SMALL_PROGRAM } from "./helpers/deploy.ts";

const dist = new URL("../dist/", import.meta.url);
const decoder = new TextDecoder();

const committedText = await Deno.readTextFile(new URL("loader.js", dist));
const builtWith = /^\/\/ Built with Deno (\S+)\.$/m.exec(committedText)?.[1];
const otherDeno = builtWith !== Deno.version.deno;
if (otherDeno) {
  console.log(
    `skipping the staleness check of dist/loader.js: built with Deno ${builtWith}, this is ${Deno.version.deno}, whose bundler may write other bytes`,
  );
}

Deno.test({
  name: "dist/loader.js is what dist/build.ts builds now",
  ignore: otherDeno,
}, async () => {
  await inTempDir(async (dir) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-lock", new URL("build.ts", dist).pathname, dir],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(out.success, decoder.decode(out.stderr));
    const rebuilt = await Deno.readFile(`${dir}/loader.js`);
    const committed = await Deno.readFile(new URL("loader.js", dist));
    assert(
      rebuilt.length === committed.length && rebuilt.every((b, i) => b === committed[i]),
      "dist/loader.js is stale: rebuild it with `deno run -A dist/build.ts`",
    );
  });
});

Deno.test("dist/loader.js imports nothing", async () => {
  const file = new URL("loader.js", dist);
  assertEquals(moduleReferences(await Deno.readTextFile(file)), []);
  assertEquals(await graphOf(file.pathname), [[file.href, []]]);
});

Deno.test("dist/loader.js exports everything lib/loader.ts exports", async () => {
  const bundled = await import(new URL("loader.js", dist).href);
  const source = await import("../lib/loader.ts");
  assertEquals(Object.keys(bundled).sort(), Object.keys(source).sort());
});

Deno.test("dist/loader.js loads an artifact and runs it, with only read access to it", async () => {
  const module = await compile(SMALL_PROGRAM);
  await inTempDir(async (dir) => {
    await Deno.writeFile(`${dir}/app.mlk`, module.serialize());
    await Deno.writeTextFile(
      `${dir}/main.js`,
      `import { ArtifactError, instantiate, loadArtifact } from ${
        JSON.stringify(new URL("loader.js", dist).href)
      };
const loaded = await loadArtifact(await Deno.readFile("app.mlk"), "app.mlk");
const { exports } = await instantiate(loaded, { host: { add: (x, y) => x + y + 1 } });
let corrupt = "no error";
try { await loadArtifact(new Uint8Array([0, 0x6d, 0x6c, 0x6b])); } catch (e) { corrupt = e instanceof ArtifactError; }
console.log(exports.twice(20), corrupt);
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-config", "--no-lock", "--no-prompt", `--allow-read=${dir}`, "main.js"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(out.success, decoder.decode(out.stderr));
    assertEquals(decoder.decode(out.stdout).trim(), "41 true");
  });
});
