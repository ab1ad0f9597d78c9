/**
 * Group 3 — cold start from an artifact (deserialize + core compile +
 * instantiate) against raw V8 compiling the same pre-split core bytes and
 * linking them with hand-written glue.
 *
 * V8 keeps compiled modules in a per-process cache keyed by their bytes, so
 * a second compile of the same bytes would measure a cache hit. Every core
 * module therefore carries a custom section with an 8-digit nonce, and every
 * iteration writes a new nonce into it — in place, in the artifact (whose
 * checksum is then recomputed) and in the baseline's core bytes alike —
 * outside the timed region. In place, so that neither side leaves large
 * buffers behind for the other's GC.
 *
 * Group 5 — serialize and deserialize throughput at three sizes.
 */

import { compile, compileSync, instantiateSync, loadArtifact, Module, parseWat } from "../mod.ts";
import { readArtifact } from "../lib/artifact/read.ts";
import { writeArtifact } from "../lib/artifact/write.ts";
import { checksum } from "../lib/artifact/checksum.ts";
import type { CompiledModule } from "../lib/compiled.ts";
import { nonceOffsets, withNonceSection, writeArtifactNonce, writeNonce } from "./nonce.ts";
import { binary, quickMode, SIZES, sizesToRun, wide, wideText } from "./workloads.ts";

type Fn = (x: number) => number;

let nonce = 0;

// A GC before each timed region (deno task bench exposes gc), so that
// neither side pays for the other's garbage.
const exposedGc = (globalThis as { gc?: (options?: { type: string }) => void }).gc;
// A minor GC: a forced major one also throws away optimized JS code, which
// would charge mlink (JS) for a recompile that V8's own C++ never pays.
const collect = exposedGc && (() => exposedGc({ type: "minor" }));

// --- group 3: cold start ----------------------------------------------------
{
  const module = compileSync(binary(wide(100, 256 * 1024)));
  const graph = readArtifact(module.serialize());
  const blob = graph.blobs[0];
  const modules = blob.modules.map((m): CompiledModule => ({
    ...m,
    core: m.core && withNonceSection(m.core),
  }));
  const artifact = writeArtifact({ ...graph, blobs: [{ ...blob, modules }] });
  const artifactNonces = nonceOffsets(artifact);
  const cores = modules.map((m) => m.core && m.core.slice());
  const coreNonces = cores.map((c) => c && nonceOffsets(c));
  const root = blob.root;
  const children = blob.modules[root].children;

  const refreshArtifact = () => writeArtifactNonce(artifact, artifactNonces, ++nonce);
  const refreshCores = () => {
    const n = ++nonce;
    cores.forEach((c, i) => c && writeNonce(c, coreNonces[i]!, n));
  };

  Deno.bench({
    name: "V8: compile pre-split cores + glue (100 children, 256 KB)",
    group: "cold start",
    baseline: true,
    async fn(b) {
      refreshCores();
      collect?.();
      b.start();
      const compiled = await Promise.all(
        cores.map((c) => c && WebAssembly.compile(c as Uint8Array<ArrayBuffer>)),
      );
      const fs = children.map((c) =>
        new WebAssembly.Instance(compiled[c]!, { "": [] as never }).exports.f0
      );
      const run = new WebAssembly.Instance(compiled[root]!, { "": fs as never }).exports.run as Fn;
      b.end();
      run(1);
    },
  });
  Deno.bench({
    name: "mlink: load artifact + instantiate (100 children, 256 KB)",
    group: "cold start",
    async fn(b) {
      refreshArtifact();
      collect?.();
      b.start();
      const loaded = await loadArtifact(artifact);
      const run = instantiateSync(loaded).exports.run as Fn;
      b.end();
      run(1);
    },
  });
}

// --- group 5: serialize / deserialize ---------------------------------------
for (const size of sizesToRun()) {
  const module = compileSync(binary(wide(500, SIZES[size])));
  const artifact = module.serialize();
  const mb = (artifact.length / 1024 / 1024).toFixed(1);
  Deno.bench({
    name: `copy ${mb} MB (memcpy limit)`,
    group: `serialize ${size}`,
    baseline: true,
    fn: () => void artifact.slice(),
  });
  Deno.bench({
    name: `serialize ${size} (${mb} MB artifact)`,
    group: `serialize ${size}`,
    fn: () => void module.serialize(),
  });
  Deno.bench({
    name: `checksum of ${mb} MB (must read every byte once)`,
    group: `deserialize ${size}`,
    baseline: true,
    fn: () => void checksum(artifact),
  });
  Deno.bench({
    name: `deserialize ${size} (${mb} MB artifact)`,
    group: `deserialize ${size}`,
    fn: () => void Module.deserialize(artifact),
  });
}

// --- loading paths: artifact vs compiling from binary and from text ---------
// One large generated program (the wide shape, 1 MB of code; 10 MB outside
// quick mode) reached three ways. V8 caches compiled core modules by their
// bytes within the process, and all three hand V8 the same core bytes, so
// after the first iteration each pays a cache lookup, not V8's compile:
// what differs is mlink's own work — parsing text (wabt included),
// decoding/validating/splitting, or reading an artifact.
{
  const size = quickMode() ? "1MB" : "10MB";
  const text = wideText(200, SIZES[size] / 4);
  const bytes = await parseWat(text);
  const artifact = (await compile(bytes)).serialize();
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
  Deno.bench({
    name: `compile from binary (${kb(bytes.length)})`,
    group: "load paths",
    baseline: true,
    fn: async () => void await compile(bytes),
  });
  Deno.bench({
    name: `compile from text (${kb(text.length)})`,
    group: "load paths",
    fn: async () => void await compile(text),
  });
  Deno.bench({
    name: `load artifact (${kb(artifact.length)})`,
    group: "load paths",
    fn: async () => void await loadArtifact(artifact),
  });
}
