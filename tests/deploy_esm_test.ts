/**
 * `buildEsm`: one self-contained ES module per artifact. It imports nothing,
 * runs with no permissions, imported from a file or by URL, and its module
 * is the artifact's.
 */

import { assert, assertEquals, assertInstanceOf, assertRejects } from "@std/assert";
import { ArtifactError, compile, type Module } from "../mod.ts";
import { buildEsm, BundleError } from "../lib/deploy/esm.ts";
import { bundle } from "../lib/deploy/esm_bundle.ts";
import { graphOf, inTempDir, moduleReferences, serve, SMALL_PROGRAM } from "./helpers/deploy.ts";

const root = new URL("../", import.meta.url);
const decoder = new TextDecoder();

const PROGRAM = SMALL_PROGRAM;

/** What a consumer of the ES module runs; `from` is where it imports `app.js` from. */
function consumer(from: string): string {
  return `import { instantiate, instantiateSync, LinkError, module } from ${JSON.stringify(from)};
const plus = await instantiate({ host: { add: (x, y) => x + y + 1 } });
const times = instantiateSync({ host: { add: (x, y) => x * y } });
let missing = "no error";
try { instantiateSync({}); } catch (e) { missing = e instanceof LinkError ? "LinkError" : String(e); }
console.log(plus.exports.twice(20), times.exports.twice(20), missing, module.name);
`;
}

const EXPECTED = "41 400 LinkError app";

let built: Promise<{ module: Module; artifact: Uint8Array; text: string }> | undefined;

/** The program, its artifact and its ES module, built once for every test. */
function program(): Promise<{ module: Module; artifact: Uint8Array; text: string }> {
  return built ??= (async () => {
    const module = await compile(PROGRAM, { filename: "app.wat" });
    const artifact = module.serialize();
    return { module, artifact, text: await buildEsm(artifact, { source: "app.mlk" }) };
  })();
}

/** Runs `deno run` with `flags` on the script `main.js`, in `dir`. */
async function run(dir: string, flags: string[]): Promise<Deno.CommandOutput> {
  return await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-config", "--no-lock", "--no-prompt", ...flags, "main.js"],
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
}

Deno.test("the ES module runs with no permissions at all", async () => {
  const { text } = await program();
  await inTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/app.js`, text);
    await Deno.writeTextFile(`${dir}/main.js`, consumer("./app.js"));
    const out = await run(dir, []);
    assert(out.success, decoder.decode(out.stderr));
    assertEquals(decoder.decode(out.stdout).trim(), EXPECTED);
    assertEquals(decoder.decode(out.stderr), "");
  });
});

Deno.test("the ES module works when imported by URL, with only --allow-import", async () => {
  const { text } = await program();
  await inTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/app.js`, text);
    const served = serve(new URL(`file://${dir}/`));
    try {
      await Deno.writeTextFile(`${dir}/main.js`, consumer(`${served.url}/app.js`));
      const out = await run(dir, [`--allow-import=${served.host}`]);
      assert(out.success, decoder.decode(out.stderr));
      assertEquals(decoder.decode(out.stdout).trim(), EXPECTED);
    } finally {
      await served.close();
    }
  });
});

Deno.test("the ES module imports nothing and contains the artifact", async () => {
  const { artifact, text } = await program();
  assertEquals(moduleReferences(text), []);
  assert(text.includes(`"${artifact.toBase64()}"`), "the artifact is embedded as base64");
  await inTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/app.js`, text);
    assertEquals(await graphOf(`${dir}/app.js`), [[`file://${dir}/app.js`, []]]);
  });
});

Deno.test("the reference check finds every way of importing", () => {
  for (
    const text of [
      `import{a}from"./x.js";`,
      `let a;import*as b from"./x.js"`,
      `import "./x.js"`,
      `await import("./x.js")`,
      `export*from"./x.js"`,
      `f();export{a as b}from"./x.js"`,
      `require("x")`,
      `x("node:fs")`,
    ]
  ) {
    assert(moduleReferences(text).length > 0, text);
  }
  assertEquals(
    moduleReferences(`case"import":f("missing import \`a\`");class A{imports(){}}export{a as b};`),
    [],
  );
});

Deno.test("the ES module's module is the artifact's module", async () => {
  const { module, artifact, text } = await program();
  await inTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/app.js`, text);
    const esm = await import(`file://${dir}/app.js`);
    assertEquals(esm.module.exports(), module.exports());
    assertEquals(esm.module.imports(), module.imports());
    assertEquals(esm.module.name, module.name);
    assertInstanceOf(esm.module, esm.Module);
    // Its own writer writes the same artifact back.
    assertEquals(esm.module.serialize(), artifact);
  });
});

Deno.test("buildEsm checks the artifact before bundling", async () => {
  const { artifact } = await program();
  const corrupt = artifact.slice();
  corrupt[corrupt.length - 1] ^= 1;
  const error = await assertRejects(
    () => buildEsm(corrupt, { source: "app.mlk" }),
    ArtifactError,
    "checksum mismatch",
  );
  assert(error.message.startsWith("app.mlk: "), error.message);
  await assertRejects(
    () => buildEsm(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])),
    ArtifactError,
    "not an mlink artifact",
  );
  await assertRejects(() => buildEsm(artifact.subarray(0, 10)), ArtifactError);
  await assertRejects(() => buildEsm("app.mlk" as never), ArtifactError, "must be a Uint8Array");
  await assertRejects(() => buildEsm(artifact, null as never), ArtifactError, "options");
  await assertRejects(() => buildEsm(artifact, { source: 7 as never }), ArtifactError, "source");
});

Deno.test("the output is the same for the same artifact, wherever mlink was loaded from", async () => {
  const { artifact, text } = await program();
  assertEquals(await buildEsm(artifact, { source: "app.mlk" }), text);
  // mlink imported over HTTP: the bundler fetches lib/loader.ts from there.
  await inTempDir(async (dir) => {
    const served = serve(root);
    try {
      await Deno.writeFile(`${dir}/app.mlk`, artifact);
      await Deno.writeTextFile(
        `${dir}/main.js`,
        `import { buildEsm } from "${served.url}/lib/deploy/esm.ts";
const artifact = await Deno.readFile("app.mlk");
await Deno.writeTextFile("app.js", await buildEsm(artifact, { source: "app.mlk" }));
`,
      );
      const out = await run(dir, [
        `--allow-import=${served.host}`,
        "--allow-read",
        `--allow-write`,
        `--allow-run=${Deno.execPath()}`,
      ]);
      assert(out.success, decoder.decode(out.stderr));
      assertEquals(await Deno.readTextFile(`${dir}/app.js`), text);
    } finally {
      await served.close();
    }
  });
});

Deno.test("a bundler failure is a BundleError with the bundler's stderr", async () => {
  const error = await assertRejects(
    () => bundle(`import { x } from "./no-such-module.js";\nexport const y = x;\n`),
    BundleError,
    "deno bundle failed",
  );
  assert(error.stderr.includes("no-such-module.js"), error.stderr);
  await assertRejects(() => bundle(`export const y = ;\n`), BundleError, "Expression expected");
});
