/**
 * Group 3 — cold start from an artifact (deserialize + core compile +
 * instantiate) against raw V8 compiling the same pre-split core bytes and
 * linking them with hand-written glue.
 *
 * V8 keeps compiled modules in a per-process cache keyed by their bytes, so
 * a second compile of the same bytes would measure a cache hit. Every
 * iteration therefore uses bytes no earlier iteration used: each core module
 * gets a custom section holding a fresh nonce (on both sides), prepared
 * outside the timed region.
 *
 * Group 5 — serialize and deserialize throughput at three sizes.
 */

import { compileSync, instantiateSync, loadArtifact, Module } from "../mod.ts";
import { readArtifact } from "../lib/artifact/read.ts";
import { writeArtifact } from "../lib/artifact/write.ts";
import { checksum } from "../lib/artifact/checksum.ts";
import type { CompiledModule } from "../lib/compiled.ts";
import { binary, SIZES, sizesToRun, wide } from "./workloads.ts";

type Fn = (x: number) => number;

/** `core` with a custom section "nonce" appended, holding `nonce`. */
function withNonce(core: Uint8Array, nonce: number): Uint8Array {
  const payload = [
    5,
    ...new TextEncoder().encode("nonce"),
    ...String(nonce).split("").map((c) => c.charCodeAt(0)),
  ];
  const out = new Uint8Array(core.length + 2 + payload.length);
  out.set(core);
  out[core.length] = 0;
  out[core.length + 1] = payload.length;
  out.set(payload, core.length + 2);
  return out;
}

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
  const artifact = module.serialize();
  const graph = readArtifact(artifact);
  const blob = graph.blobs[0];
  const root = blob.root;
  const children = blob.modules[root].children;

  /** A fresh artifact whose every core module has new bytes. */
  const freshArtifact = () => {
    const n = ++nonce;
    const modules = blob.modules.map((m): CompiledModule => ({
      ...m,
      core: m.core && withNonce(m.core, n),
    }));
    return writeArtifact({ ...graph, blobs: [{ ...blob, modules }] });
  };
  /** The same core bytes, fresh, for the baseline. */
  const freshCores = () => {
    const n = ++nonce;
    return blob.modules.map((m) => m.core && withNonce(m.core, n));
  };

  Deno.bench({
    name: "V8: compile pre-split cores + glue (100 children, 256 KB)",
    group: "cold start",
    baseline: true,
    async fn(b) {
      const cores = freshCores();
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
      const bytes = freshArtifact();
      collect?.();
      b.start();
      const loaded = await loadArtifact(bytes);
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
