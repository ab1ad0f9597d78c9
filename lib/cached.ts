/**
 * The artifact cache with the compiler plugged in: a miss or a corrupt
 * entry compiles the input and stores its artifact.
 *
 * @module
 */

import { compile } from "./api.ts";
import { type CacheOutcome, loadCached as loadFromCache } from "./artifact/cache.ts";
import type { ArtifactError } from "./errors.ts";
import type { Module } from "./runtime/module.ts";

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
}

/**
 * The Module for `source` (a binary, or text) from the artifact cache in
 * `cacheDir` when a valid entry is there; otherwise compiles it and stores
 * the artifact atomically. A corrupt entry is reported and replaced.
 *
 * @example
 * ```ts
 * import { loadCached } from "@mlink/mlink";
 * const { module, outcome } = await loadCached(await Deno.readFile("app.wasm"), { cacheDir: ".mlink-cache" });
 * console.log(outcome); // "miss" the first time, "hit" afterwards
 * ```
 */
export function loadCached(
  source: Uint8Array | string,
  options: LoadCachedOptions,
): Promise<{ module: Module; outcome: CacheOutcome; path: string }> {
  return loadFromCache(source, {
    ...options,
    compile: (input) => compile(input),
  });
}
