/**
 * Deploying from a precompiled cache by source name, through its
 * manifest.json: the loader alone, with read access to the cache and
 * nothing else, finds, checks and runs artifacts; a damaged or hostile
 * manifest or artifact is an `ArtifactError` naming the file.
 */

import { ARTIFACT_VERSION } from "../lib/artifact/format.ts";
import { assert, assertEquals, assertRejects } from "@std/assert";
import { compile } from "../mod.ts";
import { precompile } from "../lib/deploy/precompile.ts";
import { ArtifactError, instantiate, loadFromManifest } from "../lib/loader.ts";

const root = new URL("../", import.meta.url);

const SOURCES: Record<string, string> = {
  // A module-linking program: a nested module, instantiated, its export re-exported.
  "app.wat": `(module
    (module $child (func (export "f") (result i32) i32.const 42))
    (instance $c (instantiate $child))
    (export "f" (func $c "f")))`,
  "nested/lib.wat": `(module (func (export "f") (result i32) i32.const 1))`,
  "other/lib.wat": `(module (func (export "f") (result i32) i32.const 2))`,
};

/**
 * Precompiles `sources` (path under a temp source dir → text) into a temp
 * cache, then runs `body` with both dirs; removes them afterwards.
 */
async function withCache(
  sources: Record<string, string>,
  body: (cache: string, src: string) => Promise<void>,
): Promise<void> {
  const src = await Deno.makeTempDir();
  const cache = await Deno.makeTempDir();
  try {
    for (const [path, text] of Object.entries(sources)) {
      const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
      if (dir !== "") await Deno.mkdir(`${src}/${dir}`, { recursive: true });
      await Deno.writeTextFile(`${src}/${path}`, text);
    }
    const results = await precompile([src], {
      outDir: cache,
      compile: (input, filename) => compile(input, { filename }),
    });
    assertEquals(results.map((r) => r.status), Object.keys(sources).map(() => "compiled"));
    await body(cache, src);
  } finally {
    await Deno.remove(src, { recursive: true });
    await Deno.remove(cache, { recursive: true });
  }
}

/** The manifest of `cache`, parsed. */
async function manifestOf(cache: string): Promise<{
  format: number;
  entries: Record<string, { key: string; bytes: number }>;
}> {
  return JSON.parse(await Deno.readTextFile(`${cache}/manifest.json`));
}

/** Calls export `f` of a fresh instance of `module`. */
async function runF(module: Awaited<ReturnType<typeof loadFromManifest>>): Promise<number> {
  return ((await instantiate(module)).exports.f as () => number)();
}

/** Asserts that loading `name` from `dir` is an `ArtifactError` naming `file`, with `text`. */
async function assertFails(
  dir: string,
  name: string,
  file: string,
  text: string,
  options?: Parameters<typeof loadFromManifest>[2],
): Promise<ArtifactError> {
  const e = await assertRejects(() => loadFromManifest(dir, name, options), ArtifactError, text);
  assert(e.message.startsWith(`${file}: `), `names ${file}: ${e.message}`);
  return e;
}

Deno.test("a deploy with only the loader and read access to the cache runs artifacts by source name", async () => {
  await withCache(SOURCES, async (cache, src) => {
    const dir = await Deno.makeTempDir();
    try {
      const loader = new URL("lib/loader.ts", root).href;
      await Deno.writeTextFile(
        `${dir}/deploy.ts`,
        `import { ArtifactError, instantiate, loadFromManifest } from ${JSON.stringify(loader)};
const cache = ${JSON.stringify(cache)};
const run = async (name) => {
  try {
    const { exports } = await instantiate(await loadFromManifest(cache, name));
    return exports.f();
  } catch (e) {
    return e instanceof ArtifactError ? "ArtifactError: " + e.reason : String(e);
  }
};
console.log(JSON.stringify({
  app: await run("app.wat"),
  exact: await run(${JSON.stringify(`${src}/other/lib.wat`)}),
  segments: await run("nested/lib.wat"),
  ambiguous: await run("lib.wat"),
}));
`,
      );
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--no-prompt",
          "--no-config",
          "--no-lock",
          `--allow-read=${cache}`,
          `${dir}/deploy.ts`,
        ],
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert(out.success, new TextDecoder().decode(out.stderr));
      assertEquals(new TextDecoder().decode(out.stderr), "");
      const results = JSON.parse(new TextDecoder().decode(out.stdout));
      assertEquals(results.app, 42);
      assertEquals(results.exact, 2);
      assertEquals(results.segments, 1);
      assertEquals(
        results.ambiguous,
        `ArtifactError: "lib.wat" matches 2 sources in the manifest: ${
          JSON.stringify(`${src}/nested/lib.wat`)
        }, ${JSON.stringify(`${src}/other/lib.wat`)}; give more of the path`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("an exact source path wins over a source that merely ends with it", async () => {
  await withCache(SOURCES, async (cache, src) => {
    const manifest = await manifestOf(cache);
    // A source recorded by a relative path that is also the tail of another.
    manifest.entries["lib.wat"] = manifest.entries[`${src}/other/lib.wat`];
    await Deno.writeTextFile(`${cache}/manifest.json`, JSON.stringify(manifest));
    assertEquals(await runF(await loadFromManifest(cache, "lib.wat")), 2);
    // A name matches whole path segments only.
    await assertFails(cache, "ib.wat", `${cache}/manifest.json`, `no source "ib.wat"`);

    // Source names are data, whatever they are called.
    const entry = JSON.stringify(manifest.entries["lib.wat"]);
    await Deno.writeTextFile(
      `${cache}/manifest.json`,
      `{"format": ${ARTIFACT_VERSION}, "entries": {"__proto__": ${entry}}}`,
    );
    assertEquals(await runF(await loadFromManifest(cache, "__proto__")), 2);
    await assertFails(cache, "toString", `${cache}/manifest.json`, `no source "toString"`);
  });
});

Deno.test("a name in no source is an ArtifactError listing what the manifest has, truncated", async () => {
  const many: Record<string, string> = {};
  for (let i = 0; i < 12; i++) {
    many[`m${String(i).padStart(2, "0")}.wat`] =
      `(module (func (export "f") (result i32) i32.const ${i}))`;
  }
  await withCache(many, async (cache, src) => {
    const e = await assertFails(cache, "app.wat", `${cache}/manifest.json`, `no source "app.wat"`);
    const shown = Array.from({ length: 8 }, (_, i) => JSON.stringify(`${src}/m0${i}.wat`));
    assertEquals(
      e.reason,
      `no source "app.wat" in the manifest; it has ${shown.join(", ")} … and 4 more`,
    );
    assertEquals(await runF(await loadFromManifest(cache, "m11.wat")), 11);
  });
  const empty = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${empty}/manifest.json`,
      `{"format": ${ARTIFACT_VERSION}, "entries": {}}`,
    );
    await assertFails(empty, "a.wat", `${empty}/manifest.json`, "the manifest is empty");
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});

Deno.test("a missing, oversized or malformed manifest is an ArtifactError naming it", async () => {
  await withCache({ "a.wat": SOURCES["nested/lib.wat"] }, async (cache) => {
    const path = `${cache}/manifest.json`;
    const good = await Deno.readTextFile(path);
    const { entries } = await manifestOf(cache);
    const entry = Object.values(entries)[0];
    const cases: [string | Uint8Array, string][] = [
      ["{", "the manifest is not JSON"],
      [new Uint8Array([0x7b, 0xff, 0x7d]), "the manifest is not UTF-8 text"],
      ["[]", "the manifest is not a JSON object"],
      ["null", "the manifest is not a JSON object"],
      [`{"entries": {}}`, "the manifest has no format version"],
      [
        `{"format": ${ARTIFACT_VERSION + 1}, "entries": {}}`,
        `manifest format ${ARTIFACT_VERSION + 1}, this loader reads ${ARTIFACT_VERSION}`,
      ],
      [
        `{"format": ${ARTIFACT_VERSION}, "entries": []}`,
        `the manifest's "entries" is not an object`,
      ],
      [`{"format": ${ARTIFACT_VERSION}}`, `the manifest's "entries" is not an object`],
      // The shape of an earlier idea: source → key, a string.
      [
        JSON.stringify({ format: ARTIFACT_VERSION, entries: { "a.wat": entry.key } }),
        `the manifest entry "a.wat" is not { "key": string, "bytes": number }`,
      ],
      [
        JSON.stringify({
          format: ARTIFACT_VERSION,
          entries: { "a.wat": { key: entry.key, bytes: -1 } },
        }),
        `the manifest entry "a.wat" is not { "key": string, "bytes": number }`,
      ],
    ];
    for (const [content, text] of cases) {
      if (typeof content === "string") await Deno.writeTextFile(path, content);
      else await Deno.writeFile(path, content);
      await assertFails(cache, "a.wat", path, text);
    }

    await Deno.writeTextFile(path, good);
    await assertFails(
      cache,
      "a.wat",
      path,
      `the manifest is ${good.length} bytes, more than the limit of 16`,
      { maxManifestBytes: 16 },
    );
    assertEquals(await runF(await loadFromManifest(cache, "a.wat")), 1);

    await Deno.remove(path);
    await assertFails(cache, "a.wat", path, "no manifest here");
    await Deno.mkdir(path);
    await assertFails(cache, "a.wat", path, "the manifest is not a file");
  });
  await assertFails("/no/such/dir", "a.wat", "/no/such/dir/manifest.json", "no manifest here");
});

Deno.test("a manifest key that is not a cache key is refused: a valid artifact where ../x leads is never loaded", async () => {
  await withCache({ "a.wat": SOURCES["nested/lib.wat"] }, async (cache) => {
    const path = `${cache}/manifest.json`;
    const { entries } = await manifestOf(cache);
    const entry = Object.values(entries)[0];
    // A valid artifact outside the cache, where `../x` would lead.
    const outside = `${cache}/../x.mlk`;
    await Deno.copyFile(`${cache}/${entry.key}.mlk`, outside);
    try {
      for (
        const key of ["../x", "/tmp/x", `${entry.key}/../${entry.key}`, entry.key.toUpperCase()]
      ) {
        await Deno.writeTextFile(
          path,
          JSON.stringify({
            format: ARTIFACT_VERSION,
            entries: { "a.wat": { key, bytes: entry.bytes } },
          }),
        );
        await assertFails(
          cache,
          "a.wat",
          path,
          `the manifest entry "a.wat" has the key ${JSON.stringify(key.slice(0, 80))}${
            key.length > 80 ? "…" : ""
          }, which is not a cache key`,
        );
      }
    } finally {
      await Deno.remove(outside);
    }
  });
});

Deno.test("a manifest entry whose artifact is missing, resized or corrupt is an ArtifactError naming the artifact", async () => {
  await withCache({ "a.wat": SOURCES["nested/lib.wat"] }, async (cache, src) => {
    const { entries } = await manifestOf(cache);
    const { key, bytes } = entries[`${src}/a.wat`];
    const artifact = `${cache}/${key}.mlk`;
    const good = await Deno.readFile(artifact);

    const flipped = good.slice();
    flipped[good.length - 3] ^= 0x40;
    await Deno.writeFile(artifact, flipped);
    await assertFails(cache, "a.wat", artifact, "checksum mismatch: the artifact is corrupt");

    await Deno.writeFile(artifact, good.subarray(0, good.length - 1));
    await assertFails(
      cache,
      "a.wat",
      artifact,
      `the artifact has ${bytes - 1} bytes, the manifest says ${bytes}`,
    );

    // Same size, but not an artifact at all.
    await Deno.writeFile(artifact, new Uint8Array(bytes));
    await assertFails(cache, "a.wat", artifact, "not an mlink artifact");

    await Deno.remove(artifact);
    await assertFails(
      cache,
      "a.wat",
      artifact,
      `the manifest maps ${JSON.stringify(`${src}/a.wat`)} to this artifact, which is missing`,
    );

    await Deno.writeFile(artifact, good);
    assertEquals(await runF(await loadFromManifest(cache, "a.wat")), 1);
  });
});
