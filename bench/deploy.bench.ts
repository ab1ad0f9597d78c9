/**
 * Group "deploy cold start": what a deploy pays to start. Each iteration is
 * a fresh `deno run` process that loads a program, makes its first call,
 * prints the result and exits, in one of three shapes:
 *
 * - (a) `app.mlk` + `lib/loader.ts` (its module graph of TypeScript files): the baseline;
 * - (b) `app.mlk` + `dist/loader.js` (one bundled file);
 * - (c) `app.js` from `buildEsm` (one file, the artifact inside).
 *
 * Deno's module cache and V8's code cache are warm (each shape runs once at
 * load, checking its output), as on a deploy that has started before. The
 * small program is the tests' (a parent instantiating a child with a host
 * function); outside quick mode, the same three shapes also run the 1 MB
 * wide workload, where the size of the embedded artifact shows.
 *
 * The size overhead of `app.js` over the artifact is printed at load.
 */

import { compile, compileSync, instantiateSync } from "../mod.ts";
import { buildEsm } from "../lib/deploy/esm.ts";
import { binary, quickMode, wide } from "./workloads.ts";
import { SMALL_PROGRAM } from "../tests/helpers/deploy.ts";

const root = new URL("../", import.meta.url);
const dir = await Deno.makeTempDir({ prefix: "mlink-deploy-bench-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

const quick = quickMode();
const iterations = quick ? { n: 3, warmup: 1 } : { n: 20, warmup: 3 };

/** A shape of deploy: the script each fresh process runs. */
interface Shape {
  name: string;
  script: string;
}

/** Runs `script` in a fresh process with read access to the bench's directory only. */
async function start(script: string): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-config", "--no-lock", "--no-prompt", `--allow-read=${dir}`, script],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

/**
 * Writes the artifact, its ES module and the three scripts for `label`,
 * checks that each prints `expected`, prints the sizes, and registers the
 * group's benches. `imports` is a JS expression; `call` runs on `exports`.
 */
async function deployGroup(
  label: string,
  artifact: Uint8Array,
  imports: string,
  call: string,
  expected: string,
): Promise<void> {
  const esm = await buildEsm(artifact, { source: `${label}.mlk` });
  await Deno.writeFile(`${dir}/${label}.mlk`, artifact);
  await Deno.writeTextFile(`${dir}/${label}.js`, esm);
  const fromArtifact = (loader: URL) =>
    `import { deserialize, instantiate } from ${JSON.stringify(loader.href)};
const module = deserialize(await Deno.readFile(${JSON.stringify(`${dir}/${label}.mlk`)}));
const { exports } = await instantiate(module, ${imports});
console.log(${call});
`;
  const shapes: Shape[] = [
    {
      name: "(a) .mlk + lib/loader.ts graph",
      script: fromArtifact(new URL("lib/loader.ts", root)),
    },
    {
      name: "(b) .mlk + dist/loader.js",
      script: fromArtifact(new URL("dist/loader.js", root)),
    },
    {
      name: "(c) buildEsm app.js",
      script: `import { instantiate } from "./${label}.js";
const { exports } = await instantiate(${imports});
console.log(${call});
`,
    },
  ];
  const loader = (await Deno.stat(new URL("dist/loader.js", root))).size;
  const base64 = artifact.toBase64().length;
  console.log(
    `deploy ${label}: artifact ${kb(artifact.length)}; app.js ${kb(esm.length)} ` +
      `(+${kb(esm.length - artifact.length)}, ×${(esm.length / artifact.length).toFixed(2)}) = ` +
      `base64 ${kb(base64)} + loader code ${kb(esm.length - base64)}; ` +
      `dist/loader.js ${kb(loader)}`,
  );
  const group = `deploy cold start ${label}`;
  for (const [i, shape] of shapes.entries()) {
    const script = `${dir}/${label}-${"abc"[i]}.js`;
    await Deno.writeTextFile(script, shape.script);
    const got = await start(script);
    if (got !== expected) throw new Error(`${shape.name}: printed ${got}, expected ${expected}`);
    Deno.bench({
      name: shape.name,
      group,
      baseline: i === 0,
      ...iterations,
      async fn() {
        if (await start(script) !== expected) throw new Error(`${shape.name}: wrong output`);
      },
    });
  }
}

{
  const module = await compile(SMALL_PROGRAM);
  await deployGroup(
    "small",
    module.serialize(),
    "{ host: { add: (x, y) => x + y + 1 } }",
    "exports.twice(20)",
    "41",
  );
}

if (!quick) {
  const module = compileSync(binary(wide(100, 1024 * 1024)));
  const run = instantiateSync(module).exports.run as (x: number) => number;
  await deployGroup("1MB", module.serialize(), "{}", "exports.run(1)", String(run(1)));
}
