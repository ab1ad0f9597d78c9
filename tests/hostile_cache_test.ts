/**
 * The cache, the manifest and precompile against a hostile or broken
 * filesystem (issue 11, items 5 to 7): entries that are FIFOs, devices,
 * huge sparse files, directories or link loops; artifacts copied under
 * another key; concurrent precompile runs; temporary files of dead writers;
 * stale manifest entries; output files that are not regular files; API
 * misuse. Every case ends in a typed error or a correct result, quickly.
 *
 * Everything is written inside temporary directories. Character devices are
 * only read (through links to /dev/zero), never written: the write-side
 * guard is tested with FIFOs.
 */

import { ARTIFACT_VERSION } from "../lib/artifact/format.ts";
import { assert, assertEquals } from "@std/assert";
import { ArtifactError, cacheKey, compile, instantiateSync, loadCached, Module } from "../mod.ts";
import { loadFromCache, loadFromManifest } from "../lib/loader.ts";
import { precompile, type PrecompileEntry } from "../lib/deploy/precompile.ts";
import { writeFileAtomic, writeOutput } from "../lib/deploy/files.ts";
import { code, ex, exports, func, funcs, I32, i32c, mod, types } from "./helpers/build.ts";
import { encode } from "../lib/binary/encode.ts";

const root = new URL("../", import.meta.url);

/** A binary whose export `f` returns `n`. */
const constBinary = (n: number) =>
  encode(mod(types(func([], [I32])), funcs(0), exports(ex("f", 0, 0)), code(i32c(n))));

const f = (module: Module) => (instantiateSync(module).exports.f as () => number)();

/** Runs `body` with a fresh temporary directory, removed afterwards. */
async function inTemp(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mlink-hostile-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** `promise`, or a failure after `ms`: a hang fails the test instead of stalling the suite. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function mkfifo(path: string): Promise<void> {
  const { success } = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert(success, `mkfifo ${path}`);
}

/** A sparse file of `size` bytes: it takes no room on disk, and no memory unless read. */
async function sparse(path: string, size: number): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true });
  try {
    await file.truncate(size);
  } finally {
    file.close();
  }
}

/** Asserts that `fn` rejects with an `ArtifactError` (never a raw Deno error or TypeError) containing `text`. */
async function assertArtifactError(
  fn: () => Promise<unknown>,
  text: string,
  what = text,
): Promise<ArtifactError> {
  let e: unknown;
  try {
    await within(10_000, what, fn());
  } catch (error) {
    e = error;
  }
  if (!(e instanceof ArtifactError)) {
    throw new Error(`${what}: expected an ArtifactError, got ${e}`, { cause: e });
  }
  assert(
    e.message.includes(text),
    `${what}: ${JSON.stringify(e.message)} lacks ${JSON.stringify(text)}`,
  );
  return e;
}

/**
 * The kinds of things a hostile cache entry can be, each planted at `path`.
 * `reason` is what the report says it is.
 */
const HOSTILE: { name: string; plant: (path: string) => Promise<void>; reason: string }[] = [
  {
    name: "a link to /dev/zero",
    plant: (path) => Deno.symlink("/dev/zero", path),
    reason: "not a file (it is a character device)",
  },
  { name: "a FIFO", plant: mkfifo, reason: "not a file (it is a FIFO)" },
  {
    name: "a 3 GiB sparse file",
    plant: (path) => sparse(path, 3 * 1024 ** 3),
    reason: `the artifact is ${3 * 1024 ** 3} bytes, more than the limit of ${1024 ** 3}`,
  },
  {
    name: "a 200 MiB sparse file, within the limit",
    plant: (path) => sparse(path, 200 * 1024 ** 2),
    reason: "not an mlink artifact (wrong magic bytes)",
  },
  { name: "an empty directory", plant: (path) => Deno.mkdir(path), reason: "(it is a directory)" },
  {
    name: "a link loop",
    plant: (path) => Deno.symlink(path, path),
    reason: "(it is a loop of symbolic links)",
  },
  {
    name: "a broken link",
    plant: (path) => Deno.symlink(`${path}.nowhere`, path),
    reason: "(it is a broken symbolic link)",
  },
];

Deno.test("loadCached: an entry that is not a regular file of sane size is reported and replaced, without reading it", async () => {
  for (const { name, plant, reason } of HOSTILE) {
    await inTemp(async (cacheDir) => {
      const input = constBinary(7);
      const path = `${cacheDir}/${await cacheKey(input)}.mlk`;
      await plant(path);
      const rssBefore = Deno.memoryUsage().rss;
      const reported: string[] = [];
      const { module, outcome } = await within(
        10_000,
        name,
        loadCached(input, { cacheDir, onCorrupt: (_, e) => reported.push(e.reason) }),
      );
      assert(Deno.memoryUsage().rss - rssBefore < 100 * 1024 ** 2, `${name}: read into memory`);
      assertEquals(outcome, "replaced", name);
      assertEquals(reported.length, 1, name);
      assert(reported[0].includes(reason), `${name}: ${reported[0]}`);
      assertEquals(f(module), 7);
      assert((await Deno.lstat(path)).isFile, `${name}: replaced by a regular file`);
      assertEquals((await loadCached(input, { cacheDir })).outcome, "hit", name);
    });
  }
  assert((await Deno.stat("/dev/zero")).isCharDevice, "/dev/zero is untouched");
});

Deno.test("loadFromCache: the same entries are ArtifactErrors that say the loader cannot replace them, and nothing is reported as replaced", async () => {
  for (const { name, plant, reason } of HOSTILE) {
    await inTemp(async (cacheDir) => {
      const input = constBinary(7);
      await plant(`${cacheDir}/${await cacheKey(input)}.mlk`);
      const reported: string[] = [];
      const warn = console.warn;
      console.warn = (...args: unknown[]) => reported.push(args.join(" "));
      try {
        const e = await assertArtifactError(
          () => loadFromCache(input, { cacheDir, onCorrupt: (p) => reported.push(p) }),
          "the loader cannot compile a replacement",
          name,
        );
        assert(e.message.includes(reason), `${name}: ${e.message}`);
      } finally {
        console.warn = warn;
      }
      assertEquals(reported, [], `${name}: nothing claims a replacement`);
    });
  }
});

Deno.test("a corrupt entry: loadCached's warning says what it does, and it does it", async () => {
  await inTemp(async (cacheDir) => {
    const input = constBinary(1);
    const path = `${cacheDir}/${await cacheKey(input)}.mlk`;
    await Deno.writeFile(path, new Uint8Array([0, 0x6d, 0x6c, 0x6b]));
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args.join(" "));
    try {
      assertEquals((await loadCached(input, { cacheDir })).outcome, "replaced");
    } finally {
      console.warn = warn;
    }
    assertEquals(warnings.length, 1);
    assert(warnings[0].includes("compiling it again to replace it"), warnings[0]);
    assertEquals(f(Module.deserialize(await Deno.readFile(path))), 1);
  });
});

Deno.test("a cache directory that is a file, a non-empty directory entry, or an unusable path: typed errors naming the path", async () => {
  await inTemp(async (dir) => {
    const input = constBinary(2);
    const file = `${dir}/file`;
    await Deno.writeTextFile(file, "not a directory");
    for (const load of [loadCached, loadFromCache]) {
      const e = await assertArtifactError(
        () => load(input, { cacheDir: file }),
        `${file}`,
        `${load.name} into a file`,
      );
      assert(e.cause === undefined || !(e instanceof TypeError));
    }
    await assertArtifactError(
      () => loadCached(input, { cacheDir: `${dir}/a\0b` }),
      "cannot",
      "a path with a NUL byte",
    );

    const cacheDir = `${dir}/cache`;
    const path = `${cacheDir}/${await cacheKey(input)}.mlk`;
    await Deno.mkdir(`${path}/inside`, { recursive: true });
    await assertArtifactError(
      () => loadCached(input, { cacheDir, onCorrupt: () => {} }),
      "cannot replace it: it is a directory",
    );
    assert((await Deno.stat(`${path}/inside`)).isDirectory, "a directory is never deleted whole");
  });
});

Deno.test("an artifact copied or linked under another input's key is never served for it", async () => {
  await inTemp(async (cacheDir) => {
    const a = constBinary(1);
    const b = constBinary(2);
    const [keyA, keyB] = [await cacheKey(a), await cacheKey(b)];
    await loadCached(a, { cacheDir });
    await loadCached(b, { cacheDir });
    const artifactA = await Deno.readFile(`${cacheDir}/${keyA}.mlk`);
    const artifactB = await Deno.readFile(`${cacheDir}/${keyB}.mlk`);
    const idB = await Deno.readFile(`${cacheDir}/${keyB}.id`);
    assertEquals(artifactA.length, artifactB.length, "the swap keeps sizes");

    const swaps: [string, () => Promise<void>, string][] = [
      [
        "the artifact copied",
        () => Deno.copyFile(`${cacheDir}/${keyA}.mlk`, `${cacheDir}/${keyB}.mlk`),
        "the length or SHA-256 differs",
      ],
      [
        "the artifact and its identity record copied",
        async () => {
          await Deno.copyFile(`${cacheDir}/${keyA}.mlk`, `${cacheDir}/${keyB}.mlk`);
          await Deno.copyFile(`${cacheDir}/${keyA}.id`, `${cacheDir}/${keyB}.id`);
        },
        `names the key ${keyA}`,
      ],
      [
        "a link to the other artifact",
        async () => {
          await Deno.remove(`${cacheDir}/${keyB}.mlk`);
          await Deno.symlink(`${keyA}.mlk`, `${cacheDir}/${keyB}.mlk`);
        },
        "the length or SHA-256 differs",
      ],
      [
        "no identity record",
        () => Deno.remove(`${cacheDir}/${keyB}.id`),
        "no identity record",
      ],
    ];
    for (const [name, swap, reason] of swaps) {
      await Deno.remove(`${cacheDir}/${keyB}.mlk`);
      await Deno.writeFile(`${cacheDir}/${keyB}.mlk`, artifactB);
      await Deno.writeFile(`${cacheDir}/${keyB}.id`, idB);
      await swap();
      const e = await assertArtifactError(() => loadFromCache(b, { cacheDir }), reason, name);
      assert(e.message.startsWith(`${cacheDir}/${keyB}.mlk: `), e.message);
      const reported: string[] = [];
      const got = await loadCached(b, { cacheDir, onCorrupt: (_, e) => reported.push(e.reason) });
      assertEquals([got.outcome, f(got.module)], ["replaced", 2], name);
      assert(reported[0].includes(reason), `${name}: ${reported[0]}`);
      assertEquals(f((await loadFromCache(b, { cacheDir })).module), 2, name);
    }
    assertEquals(f((await loadFromCache(a, { cacheDir })).module), 1, "the original is untouched");
  });
});

/** Precompiles `paths` into `out` with the real compiler. */
function precompileInto(
  out: string,
  paths: string[],
  extra: { onProgress?: (d: number, t: number, e: PrecompileEntry) => void } = {},
): Promise<PrecompileEntry[]> {
  return precompile(paths, {
    outDir: out,
    compile: (input, filename) => compile(input, { filename }),
    ...extra,
  });
}

async function manifestEntries(out: string): Promise<Record<string, { key: string }>> {
  return JSON.parse(await Deno.readTextFile(`${out}/manifest.json`)).entries;
}

Deno.test("loadFromManifest: an artifact copied over another source's, same size, is refused", async () => {
  await inTemp(async (dir) => {
    await Deno.writeFile(`${dir}/a.wasm`, constBinary(1));
    await Deno.writeFile(`${dir}/b.wasm`, constBinary(2));
    const out = `${dir}/out`;
    await precompileInto(out, [`${dir}/a.wasm`, `${dir}/b.wasm`]);
    const entries = await manifestEntries(out);
    const [a, b] = [entries[`${dir}/a.wasm`].key, entries[`${dir}/b.wasm`].key];
    assertEquals(f(await loadFromManifest(out, "b.wasm")), 2);
    await Deno.copyFile(`${out}/${a}.mlk`, `${out}/${b}.mlk`);
    await assertArtifactError(
      () => loadFromManifest(out, "b.wasm"),
      "the length or SHA-256 differs",
    );
    // precompile notices too, and puts the right artifact back.
    const again = await precompileInto(out, [`${dir}/b.wasm`]);
    assertEquals(again.map((r) => r.status), ["replaced"]);
    assertEquals(f(await loadFromManifest(out, "b.wasm")), 2);
  });
});

Deno.test("loadFromManifest: a manifest or artifact that is a FIFO, a device, huge or a loop is an ArtifactError, quickly", async () => {
  await inTemp(async (dir) => {
    await Deno.writeFile(`${dir}/a.wasm`, constBinary(1));
    const out = `${dir}/out`;
    await precompileInto(out, [`${dir}/a.wasm`]);
    const manifest = `${out}/manifest.json`;
    const good = await Deno.readFile(manifest);
    const { key } = (await manifestEntries(out))[`${dir}/a.wasm`];
    const artifact = `${out}/${key}.mlk`;
    const goodArtifact = await Deno.readFile(artifact);
    const size = goodArtifact.length;
    // What each hostile thing is reported as, as the manifest and as the artifact.
    const expected: Record<string, [string, string]> = {
      "a link to /dev/zero": [
        "not a file (it is a character device)",
        "not a file (it is a character device)",
      ],
      "a FIFO": ["not a file (it is a FIFO)", "not a file (it is a FIFO)"],
      "a 3 GiB sparse file": [
        `the manifest is ${3 * 1024 ** 3} bytes, more than the limit of ${8 * 1024 ** 2}`,
        `the artifact has ${3 * 1024 ** 3} bytes, the manifest says ${size}`,
      ],
      "a 200 MiB sparse file, within the limit": [
        "more than the limit of",
        `the artifact has ${200 * 1024 ** 2} bytes, the manifest says ${size}`,
      ],
      "an empty directory": ["not a file (it is a directory)", "not a file (it is a directory)"],
      "a link loop": ["(it is a loop of symbolic links)", "(it is a loop of symbolic links)"],
      "a broken link": ["(it is a broken symbolic link)", "(it is a broken symbolic link)"],
    };
    for (const { name, plant } of HOSTILE) {
      for (
        const [index, path, restore] of [[0, manifest, good], [1, artifact, goodArtifact]] as const
      ) {
        await Deno.remove(path, { recursive: true });
        await plant(path);
        const text = expected[name][index];
        await assertArtifactError(
          () => loadFromManifest(out, "a.wasm"),
          text,
          `${name} as ${path}`,
        );
        await Deno.remove(path, { recursive: true });
        await Deno.writeFile(path, restore);
      }
    }
    // A manifest that gives a huge artifact's size: the artifact's limit holds, and
    // a big file that is no artifact is refused from its first bytes.
    for (
      const [bytes, text] of [
        [
          3 * 1024 ** 3,
          `the artifact is ${3 * 1024 ** 3} bytes, more than the limit of ${1024 ** 3}`,
        ],
        [200 * 1024 ** 2, "not an mlink artifact (wrong magic bytes)"],
      ] as const
    ) {
      await Deno.writeTextFile(
        manifest,
        JSON.stringify({
          format: ARTIFACT_VERSION,
          entries: { [`${dir}/a.wasm`]: { key, bytes } },
        }),
      );
      await Deno.remove(artifact);
      await sparse(artifact, bytes);
      const rssBefore = Deno.memoryUsage().rss;
      await assertArtifactError(() => loadFromManifest(out, "a.wasm"), text);
      assert(Deno.memoryUsage().rss - rssBefore < 100 * 1024 ** 2, `${bytes}: read into memory`);
    }
    await Deno.writeFile(manifest, good);
    await Deno.remove(artifact);
    await Deno.writeFile(artifact, goodArtifact);
    assertEquals(f(await loadFromManifest(out, "a.wasm")), 1);
  });
});

Deno.test("precompile: hostile inputs and entries fail one by one, the run goes on, and the manifest has only what works", async () => {
  await inTemp(async (dir) => {
    const src = `${dir}/src`;
    const out = `${dir}/out`;
    await Deno.mkdir(`${src}/sub`, { recursive: true });
    await Deno.writeFile(`${src}/good.wasm`, constBinary(1));
    await Deno.writeFile(`${src}/sub/good2.wasm`, constBinary(2));
    await Deno.writeFile(`${src}/entry-fifo.wasm`, constBinary(3));
    await Deno.writeFile(`${src}/entry-dir.wasm`, constBinary(4));
    await Deno.writeTextFile(`${src}/bad.wat`, "(module (func $f) (export");
    await Deno.writeFile(`${src}/latin1.wat`, new Uint8Array([0x28, 0xe9, 0x29]));
    await mkfifo(`${src}/fifo.wasm`);
    await Deno.symlink("/dev/zero", `${src}/zero.wasm`);
    await Deno.symlink(`${src}/loop.wasm`, `${src}/loop.wasm`);
    await Deno.symlink(src, `${src}/sub/back`); // a directory loop: not followed
    await sparse(`${src}/huge.wasm`, 3 * 1024 ** 3);
    // Entries in the cache that are not files.
    await Deno.mkdir(out);
    await mkfifo(`${out}/${await cacheKey(constBinary(3))}.mlk`);
    await Deno.mkdir(`${out}/${await cacheKey(constBinary(4))}.mlk/full`, { recursive: true });
    await mkfifo(`${out}/manifest.json`);

    const progress: string[] = [];
    const results = await within(
      60_000,
      "precompile",
      precompileInto(out, [src, `${dir}/missing.wasm`], {
        onProgress: (done, total, e) => progress.push(`${done}/${total} ${e.status}`),
      }),
    );
    const by = Object.fromEntries(results.map((r) => [r.source.slice(dir.length + 1), r]));
    assertEquals(
      Object.fromEntries(Object.entries(by).map(([s, r]) => [s, r.status])),
      {
        "missing.wasm": "failed",
        "src/bad.wat": "failed",
        "src/entry-dir.wasm": "failed",
        "src/entry-fifo.wasm": "replaced",
        "src/fifo.wasm": "failed",
        "src/good.wasm": "compiled",
        "src/huge.wasm": "failed",
        "src/latin1.wat": "failed",
        "src/loop.wasm": "failed",
        "src/sub/good2.wasm": "compiled",
        "src/zero.wasm": "failed",
      },
    );
    assertEquals(progress.length, 11);
    assertEquals(by["missing.wasm"].error, "no such file or directory");
    assert(by["src/fifo.wasm"].error!.includes("it is a FIFO"), by["src/fifo.wasm"].error);
    assert(by["src/zero.wasm"].error!.includes("character device"), by["src/zero.wasm"].error);
    assert(by["src/loop.wasm"].error!.includes("loop of symbolic links"));
    assert(by["src/huge.wasm"].error!.includes("more than the limit"), by["src/huge.wasm"].error);
    assert(by["src/latin1.wat"].error!.includes("not UTF-8"), by["src/latin1.wat"].error);
    assert(by["src/entry-dir.wasm"].error!.includes("it is a directory"));
    assert(
      by["src/entry-fifo.wasm"].replaced!.includes("FIFO"),
      by["src/entry-fifo.wasm"].replaced,
    );
    for (const r of results) assert(!/os error|\(os|readfile|lstat '/.test(r.error ?? ""), r.error);

    assert((await Deno.lstat(`${out}/manifest.json`)).isFile, "the FIFO manifest was replaced");
    assertEquals(Object.keys(await manifestEntries(out)).sort(), [
      `${src}/entry-fifo.wasm`,
      `${src}/good.wasm`,
      `${src}/sub/good2.wasm`,
    ]);
    assertEquals(f(await loadFromManifest(out, "good2.wasm")), 2);
    assertEquals(f(await loadFromManifest(out, "entry-fifo.wasm")), 3);
  });
});

Deno.test("precompile: a run drops its failed sources and the vanished ones under its directories, and keeps other runs' entries", async () => {
  await inTemp(async (dir) => {
    const out = `${dir}/out`;
    await Deno.mkdir(`${dir}/app/sub`, { recursive: true });
    await Deno.mkdir(`${dir}/other`);
    await Deno.writeFile(`${dir}/app/a.wasm`, constBinary(1));
    await Deno.writeFile(`${dir}/app/b.wasm`, constBinary(2));
    await Deno.writeFile(`${dir}/app/sub/c.wasm`, constBinary(3));
    await Deno.writeFile(`${dir}/other/d.wasm`, constBinary(4));
    await precompileInto(out, [`${dir}/app/`]);
    await precompileInto(out, [`${dir}/other/d.wasm`]);
    assertEquals(Object.keys(await manifestEntries(out)).length, 4);

    // b breaks, sub/ goes away, d is another run's.
    await Deno.writeFile(`${dir}/app/b.wasm`, new Uint8Array([0, 0x61, 0x73, 0x6d, 9]));
    await Deno.remove(`${dir}/app/sub`, { recursive: true });
    const results = await precompileInto(out, [`${dir}/app/`]);
    assertEquals(results.map((r) => r.status), ["present", "failed"]);
    assertEquals(Object.keys(await manifestEntries(out)), [
      `${dir}/app/a.wasm`,
      `${dir}/other/d.wasm`,
    ]);
    await assertArtifactError(() => loadFromManifest(out, "b.wasm"), `no source "b.wasm"`);
    await assertArtifactError(() => loadFromManifest(out, "c.wasm"), `no source "c.wasm"`);

    // A named source that is gone is a failure, and its entry goes too.
    await Deno.remove(`${dir}/other/d.wasm`);
    const gone = await precompileInto(out, [`${dir}/other/d.wasm`]);
    assertEquals(gone.map((r) => [r.status, r.error]), [["failed", "no such file or directory"]]);
    assertEquals(Object.keys(await manifestEntries(out)), [`${dir}/app/a.wasm`]);
  });
});

Deno.test("precompile: concurrent runs with different inputs into one directory lose no manifest entry", async () => {
  await inTemp(async (dir) => {
    const out = `${dir}/out`;
    const count = 12;
    for (let i = 0; i < count; i++) await Deno.writeFile(`${dir}/m${i}.wasm`, constBinary(i));
    // In one process: the manifest updates interleave at every await.
    await Promise.all(
      Array.from({ length: count }, (_, i) => precompileInto(out, [`${dir}/m${i}.wasm`])),
    );
    assertEquals(Object.keys(await manifestEntries(out)).length, count);

    // In several processes at once.
    const out2 = `${dir}/out2`;
    const driver = `${dir}/driver.ts`;
    await Deno.writeTextFile(
      driver,
      `import { precompile } from ${JSON.stringify(new URL("lib/deploy/precompile.ts", root).href)};
import { compile } from ${JSON.stringify(new URL("mod.ts", root).href)};
const [out, ...paths] = Deno.args;
const results = await precompile(paths, { outDir: out, compile: (input) => compile(input) });
if (results.some((r) => r.status === "failed")) Deno.exit(1);
`,
    );
    const runs = Array.from({ length: 6 }, (_, i) =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--no-lock",
          `--config=${new URL("deno.json", root).pathname}`,
          driver,
          out2,
          `${dir}/m${2 * i}.wasm`,
          `${dir}/m${2 * i + 1}.wasm`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output());
    for (const run of await Promise.all(runs)) {
      assert(run.success, new TextDecoder().decode(run.stderr));
    }
    const entries = await manifestEntries(out2);
    assertEquals(Object.keys(entries).length, count);
    for (let i = 0; i < count; i++) {
      assertEquals(f(await loadFromManifest(out2, `m${i}.wasm`)), i);
    }
  });
});

Deno.test("precompile: it waits for a live lock holder, and a killed one's lock is free", async () => {
  await inTemp(async (dir) => {
    const out = `${dir}/out`;
    await Deno.mkdir(out);
    await Deno.writeFile(`${dir}/a.wasm`, constBinary(1));
    const lock = await Deno.open(`${out}/manifest.lock`, { write: true, create: true });
    await lock.lock(true);
    let done = false;
    const run = precompileInto(out, [`${dir}/a.wasm`]).then((r) => (done = true, r));
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert(!done, "precompile waited for the lock");
    await lock.unlock();
    lock.close();
    assertEquals((await within(10_000, "after unlock", run)).map((r) => r.status), ["compiled"]);

    // A holder that is killed: the system releases its lock.
    const holder = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `const f = await Deno.open(${JSON.stringify(`${out}/manifest.lock`)}, { write: true });
await f.lock(true); console.log("locked"); await new Promise(() => setInterval(() => {}, 1000));`,
      ],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = holder.stdout.getReader();
    const { value } = await reader.read();
    assertEquals(new TextDecoder().decode(value).trim(), "locked");
    holder.kill("SIGKILL");
    await holder.status;
    reader.releaseLock();
    await holder.stdout.cancel();
    await Deno.writeFile(`${dir}/b.wasm`, constBinary(2));
    const results = await within(
      10_000,
      "after the holder died",
      precompileInto(out, [`${dir}/b.wasm`]),
    );
    assertEquals(results.map((r) => r.status), ["compiled"]);
    assertEquals(Object.keys(await manifestEntries(out)).length, 2);
  });
});

Deno.test("temporary files of dead writers are removed; a live writer's is not", async () => {
  await inTemp(async (dir) => {
    const cacheDir = `${dir}/cache`;
    await Deno.mkdir(cacheDir);
    const key = "0".repeat(64);
    const dead = [
      `${cacheDir}/${key}.mlk.${crypto.randomUUID()}.tmp`,
      `${cacheDir}/manifest.json.${crypto.randomUUID()}.tmp`,
    ];
    const live = `${cacheDir}/${key}.mlk.${crypto.randomUUID()}.tmp`;
    const foreign = `${cacheDir}/notes.tmp`;
    for (const p of [...dead, live, foreign]) await Deno.writeFile(p, new Uint8Array(10));
    const writer = await Deno.open(live, { write: true });
    await writer.lock(true);
    try {
      // A miss stores an entry, and cleans up first.
      assertEquals((await loadCached(constBinary(5), { cacheDir })).outcome, "miss");
      const left = [];
      for await (const e of Deno.readDir(cacheDir)) if (e.name.endsWith(".tmp")) left.push(e.name);
      assertEquals(left.sort(), [live.slice(cacheDir.length + 1), "notes.tmp"].sort());
    } finally {
      writer.close();
    }
    // Now its writer is gone: precompile removes it.
    await Deno.writeFile(`${dir}/a.wasm`, constBinary(6));
    await precompileInto(cacheDir, [`${dir}/a.wasm`]);
    const left = [];
    for await (const e of Deno.readDir(cacheDir)) if (e.name.endsWith(".tmp")) left.push(e.name);
    assertEquals(left, ["notes.tmp"]);
  });
});

Deno.test("writeFileAtomic and writeOutput never replace what is not a regular file", async () => {
  await inTemp(async (dir) => {
    const bytes = new TextEncoder().encode("artifact");
    // A FIFO stands for any device: writeOutput writes into it, writeFileAtomic refuses.
    const fifo = `${dir}/fifo`;
    await mkfifo(fifo);
    const reading = (async () => {
      const file = await Deno.open(fifo, { read: true });
      const chunks: number[] = [];
      const buffer = new Uint8Array(64);
      for (let n = await file.read(buffer); n !== null; n = await file.read(buffer)) {
        chunks.push(...buffer.subarray(0, n));
      }
      file.close();
      return new TextDecoder().decode(new Uint8Array(chunks));
    })();
    await within(10_000, "writeOutput to a FIFO", writeOutput(fifo, bytes));
    assertEquals(await reading, "artifact");
    assert((await Deno.lstat(fifo)).isFifo, "still a FIFO");
    await assertArtifactError(
      () => writeFileAtomic(fifo, bytes),
      "it is a FIFO, not a regular file",
    );
    assert((await Deno.lstat(fifo)).isFifo, "still a FIFO");

    // Through a link to the FIFO: the same, and the link stays.
    await Deno.symlink(fifo, `${dir}/to-fifo`);
    await assertArtifactError(() => writeFileAtomic(`${dir}/to-fifo`, bytes), "it is a FIFO");
    assert((await Deno.lstat(`${dir}/to-fifo`)).isSymlink);

    // A directory, a broken link: typed errors, left alone.
    await Deno.mkdir(`${dir}/d`);
    for (const write of [writeFileAtomic, writeOutput]) {
      await assertArtifactError(() => write(`${dir}/d`, bytes), "it is a directory");
      assert((await Deno.lstat(`${dir}/d`)).isDirectory);
    }
    await Deno.symlink(`${dir}/nowhere`, `${dir}/broken`);
    await assertArtifactError(() => writeOutput(`${dir}/broken`, bytes), "broken symbolic link");
    await assertArtifactError(() => writeOutput(`${dir}/no/such/dir/x`, bytes), "cannot write");

    // A link to a regular file: the file gets the bytes, the link stays a link.
    await Deno.writeTextFile(`${dir}/real`, "old");
    await Deno.symlink(`${dir}/real`, `${dir}/link`);
    await writeOutput(`${dir}/link`, bytes);
    assert((await Deno.lstat(`${dir}/link`)).isSymlink);
    assertEquals(await Deno.readTextFile(`${dir}/real`), "artifact");
    await writeFileAtomic(`${dir}/new`, bytes);
    assertEquals(await Deno.readTextFile(`${dir}/new`), "artifact");
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assertEquals(names.filter((n) => n.endsWith(".tmp")), []);
  });
});

Deno.test("API misuse of the cache functions is an ArtifactError, never a TypeError", async () => {
  await inTemp(async (cacheDir) => {
    const input = constBinary(1);
    const cases: [string, () => Promise<unknown>, string][] = [
      // deno-lint-ignore no-explicit-any
      ["loadCached(5, …)", () => loadCached(5 as any, { cacheDir }), "got a number"],
      // deno-lint-ignore no-explicit-any
      ["loadCached(null, …)", () => loadCached(null as any, { cacheDir }), "got null"],
      // deno-lint-ignore no-explicit-any
      ["loadCached(x)", () => (loadCached as any)(input), "options must be an object"],
      // deno-lint-ignore no-explicit-any
      ["loadCached(x, 5)", () => loadCached(input, 5 as any), "options must be an object"],
      // deno-lint-ignore no-explicit-any
      ["cacheDir: 5", () => loadCached(input, { cacheDir: 5 as any }), "cacheDir must be"],
      ["cacheDir: ''", () => loadCached(input, { cacheDir: "" }), "cacheDir must be"],
      [
        "maxArtifactBytes: NaN",
        () => loadCached(input, { cacheDir, maxArtifactBytes: NaN }),
        "maxArtifactBytes must be a positive integer, got NaN",
      ],
      [
        "onCorrupt: 5",
        // deno-lint-ignore no-explicit-any
        () => loadCached(input, { cacheDir, onCorrupt: 5 as any }),
        "onCorrupt must be a function",
      ],
      [
        "loadFromCache compile: 'x'",
        // deno-lint-ignore no-explicit-any
        () => loadFromCache(input, { cacheDir, compile: "x" as any }),
        "compile must be a function",
      ],
      [
        "a compile that returns no Module",
        // deno-lint-ignore no-explicit-any
        () => loadFromCache(input, { cacheDir, compile: () => Promise.resolve(5 as any) }),
        "compile returned a number, not a Module",
      ],
      // deno-lint-ignore no-explicit-any
      ["cacheKey(null)", () => cacheKey(null as any), "got null"],
      // deno-lint-ignore no-explicit-any
      ["cacheKey({})", () => cacheKey({} as any), "got an object"],
      ["cacheKey(lone surrogate)", () => cacheKey("(module)\uD800"), "lone surrogate"],
      // deno-lint-ignore no-explicit-any
      ["loadFromManifest(5, …)", () => loadFromManifest(5 as any, "a"), "got a number"],
      // deno-lint-ignore no-explicit-any
      ["loadFromManifest(…, 5)", () => loadFromManifest(cacheDir, 5 as any), "got a number"],
      [
        "loadFromManifest maxManifestBytes: NaN",
        () => loadFromManifest(cacheDir, "a", { maxManifestBytes: NaN }),
        "maxManifestBytes must be a positive integer",
      ],
      [
        "loadFromManifest options: null",
        // deno-lint-ignore no-explicit-any
        () => loadFromManifest(cacheDir, "a", null as any),
        "options must be an object",
      ],
      // deno-lint-ignore no-explicit-any
      ["precompile('x', …)", () => precompile("x" as any, {} as any), "paths must be an array"],
      [
        "precompile outDir: 5",
        // deno-lint-ignore no-explicit-any
        () => precompile([], { outDir: 5 as any, compile: () => Promise.reject() }),
        "outDir must be",
      ],
      // deno-lint-ignore no-explicit-any
      ["writeOutput(null, …)", () => writeOutput(null as any, new Uint8Array()), "got null"],
      // deno-lint-ignore no-explicit-any
      ["writeFileAtomic(p, 'x')", () => writeFileAtomic(`${cacheDir}/x`, "x" as any), "a string"],
    ];
    for (const [name, call, text] of cases) await assertArtifactError(call, text, name);
    // The limit is applied, not ignored: a 1-byte limit makes every entry corrupt.
    await loadCached(input, { cacheDir });
    await assertArtifactError(
      () => loadFromCache(input, { cacheDir, maxArtifactBytes: 1 }),
      "more than the limit of 1",
    );
  });
});
