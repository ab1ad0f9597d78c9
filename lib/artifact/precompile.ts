/**
 * Precompiles a tree of `.wasm`/`.wat` files into a content-addressed
 * artifact cache with a manifest, for deploys.
 *
 * @module
 */

import { ArtifactError } from "../errors.ts";
import { Module } from "../runtime/module.ts";
import { ARTIFACT_VERSION } from "./format.ts";
import { cacheKey, entryPath, writeFileAtomic } from "./cache.ts";
import { type Manifest, manifestPath } from "./manifest.ts";

/** One input's fate. */
export interface PrecompileEntry {
  source: string;
  key: string;
  status: "compiled" | "present" | "replaced" | "failed";
  bytes?: number;
  error?: string;
}

/** Options of {@linkcode precompile}. */
export interface PrecompileOptions {
  outDir: string;
  /** The compiler: the loader has none of its own. */
  compile: (input: Uint8Array | string, filename: string) => Promise<Module>;
  /** Called after each input, with how many are done of how many. */
  onProgress?: (done: number, total: number, entry: PrecompileEntry) => void;
}

const INPUT = /\.(wasm|wat)$/;

/** Every `.wasm`/`.wat` file named or found (recursively) under the given paths, sorted. */
export async function findInputs(paths: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  const walk = async (path: string, named: boolean): Promise<void> => {
    const info = await Deno.stat(path);
    if (info.isDirectory) {
      for await (const entry of Deno.readDir(path)) {
        await walk(`${path.replace(/\/+$/, "")}/${entry.name}`, false);
      }
    } else if (info.isFile && (named || INPUT.test(path))) {
      found.add(path);
    }
  };
  for (const p of paths) await walk(p, true);
  return [...found].sort();
}

/**
 * Compiles each input into `outDir` unless a valid artifact for its exact
 * bytes is already there, then writes `manifest.json` (merged with the
 * manifest already present, written atomically).
 */
export async function precompile(
  paths: readonly string[],
  options: PrecompileOptions,
): Promise<PrecompileEntry[]> {
  const inputs = await findInputs(paths);
  await Deno.mkdir(options.outDir, { recursive: true });
  const results: PrecompileEntry[] = [];
  for (const source of inputs) {
    const entry = await precompileOne(source, options);
    results.push(entry);
    options.onProgress?.(results.length, inputs.length, entry);
  }
  await writeManifest(options.outDir, results);
  return results;
}

async function precompileOne(
  source: string,
  options: PrecompileOptions,
): Promise<PrecompileEntry> {
  const raw = await Deno.readFile(source);
  const input = source.endsWith(".wat") ? new TextDecoder().decode(raw) : raw;
  const key = await cacheKey(raw);
  const path = entryPath(options.outDir, key);
  let status: PrecompileEntry["status"] = "compiled";
  try {
    const existing = await Deno.readFile(path);
    Module.deserialize(existing, path);
    return { source, key, status: "present", bytes: existing.length };
  } catch (e) {
    if (e instanceof ArtifactError) status = "replaced";
    else if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  try {
    const artifact = (await options.compile(input, source)).serialize();
    await writeFileAtomic(path, artifact);
    return { source, key, status, bytes: artifact.length };
  } catch (e) {
    return { source, key, status: "failed", error: (e as Error).message };
  }
}

async function writeManifest(
  outDir: string,
  results: readonly PrecompileEntry[],
): Promise<void> {
  const path = manifestPath(outDir);
  let manifest: Manifest = { format: ARTIFACT_VERSION, entries: {} };
  try {
    const old = JSON.parse(await Deno.readTextFile(path)) as Manifest;
    if (
      old.format === ARTIFACT_VERSION && old.entries &&
      typeof old.entries === "object"
    ) manifest = old;
  } catch {
    // No manifest yet, or an unreadable one: start afresh.
  }
  for (const r of results) {
    if (r.status !== "failed") {
      manifest.entries[r.source] = { key: r.key, bytes: r.bytes ?? 0 };
    }
  }
  const sorted: Manifest = {
    format: ARTIFACT_VERSION,
    entries: Object.fromEntries(
      Object.entries(manifest.entries).sort(([a], [b]) => a < b ? -1 : 1),
    ),
  };
  await writeFileAtomic(
    path,
    new TextEncoder().encode(JSON.stringify(sorted, null, 2) + "\n"),
  );
}
