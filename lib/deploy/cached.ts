/**
 * The artifact cache with the compiler plugged in: a miss or a corrupt
 * entry compiles the input and stores its artifact.
 *
 * @module
 */

import { compile } from "../api.ts";
import { type CacheOutcome, loadThroughCache } from "./cache.ts";
import { optionsRecord } from "./options.ts";
import type { ArtifactError } from "../errors.ts";
import type { Module } from "../runtime/module.ts";

/**
 * Options of {@linkcode loadCached}.
 *
 * @example
 * ```ts
 * import { loadCached, type LoadCachedOptions } from "@mlink/mlink";
 * const options: LoadCachedOptions = { cacheDir: ".mlink-cache", onCorrupt: () => {} };
 * const { module } = await loadCached(`(module (func (export "f")))`, options);
 * ```
 */
export interface LoadCachedOptions {
  /** The cache directory (created if missing). */
  cacheDir: string;
  /** Told about a corrupt entry before it is replaced (default: `console.warn`). */
  onCorrupt?: (path: string, error: ArtifactError) => void;
  /** Largest artifact read from the cache, in bytes (default 1 GiB); a bigger one is corrupt. */
  maxArtifactBytes?: number;
}

/**
 * The Module for `source` (a binary, or text) from the artifact cache in
 * `cacheDir` when a valid entry is there; otherwise compiles it and stores
 * the artifact atomically. A corrupt entry — not a regular file, too big,
 * damaged, or the artifact of another input — is reported and replaced.
 *
 * Throws `ArtifactError` for a `source` that is neither a `Uint8Array` nor
 * a string, for bad options, and for a cache directory it cannot use;
 * compiling throws what `compile` throws.
 *
 * @param source The binary or text to compile.
 * @param options The cache directory, and what to do with corrupt entries.
 * @returns The module, how it was got, and the entry's path.
 *
 * @example
 * ```ts
 * import { loadCached } from "@mlink/mlink";
 * const { module, outcome } = await loadCached(await Deno.readFile("app.wasm"), { cacheDir: ".mlink-cache" });
 * console.log(outcome); // "miss" the first time, "hit" afterwards
 * ```
 */
export async function loadCached(
  source: Uint8Array | string,
  options: LoadCachedOptions,
): Promise<{ module: Module; outcome: CacheOutcome; path: string }> {
  // Only the options this function has: a `compile` of the caller's is not used.
  const given = optionsRecord(options, "loadCached") as unknown as LoadCachedOptions;
  return await loadThroughCache(source, {
    cacheDir: given.cacheDir,
    onCorrupt: given.onCorrupt,
    maxArtifactBytes: given.maxArtifactBytes,
    compile: (input) => compile(input),
  }, "loadCached");
}
