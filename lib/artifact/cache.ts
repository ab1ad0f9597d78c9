/**
 * A content-addressed artifact cache on disk, for deploys that precompile:
 * the key of an input is a hash of its bytes and the artifact format
 * version, so a changed input or a new format never hits a stale entry.
 * Entries are written atomically (a temporary file, then a rename), so a
 * crash or two concurrent writers never leave half an artifact behind.
 *
 * This file does not import the compiler: whoever may compile on a miss
 * passes a `compile` function (`mod.ts` does; `lib/loader.ts` need not).
 *
 * @module
 */

import { ArtifactError } from "../errors.ts";
import { Module } from "../runtime/module.ts";
import { ARTIFACT_VERSION } from "./format.ts";

/** File name ending of cache entries. */
export const ARTIFACT_EXTENSION = ".mlk";

const encoder = new TextEncoder();

/**
 * The cache key of an input: hex SHA-256 of the format version and the
 * input bytes (a string counts as its UTF-8 bytes).
 *
 * @param input The binary or text that is compiled.
 * @returns 64 lowercase hex digits; the artifact is `<key>.mlk` in the cache.
 *
 * @example
 * ```ts
 * import { cacheKey } from "@mlink/mlink";
 * const key = await cacheKey(await Deno.readFile("app.wasm"));
 * console.log(`.mlink-cache/${key}.mlk`);
 * ```
 */
export async function cacheKey(input: Uint8Array | string): Promise<string> {
  const bytes = typeof input === "string" ? encoder.encode(input) : input;
  const prefix = encoder.encode(`mlink-artifact-${ARTIFACT_VERSION}\0`);
  const all = new Uint8Array(prefix.length + bytes.length);
  all.set(prefix);
  all.set(bytes, prefix.length);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Path of the cache entry for `key` in `cacheDir`. */
export function entryPath(cacheDir: string, key: string): string {
  return `${cacheDir.replace(/\/+$/, "")}/${key}${ARTIFACT_EXTENSION}`;
}

/**
 * Writes `bytes` to `path` atomically: through a uniquely named temporary
 * file in the same directory and a rename, so readers see the old file or
 * the whole new one, never a part.
 */
export async function writeFileAtomic(
  path: string,
  bytes: Uint8Array,
): Promise<void> {
  const temp = `${path}.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.writeFile(temp, bytes);
    await Deno.rename(temp, path);
  } catch (e) {
    await Deno.remove(temp).catch(() => {});
    throw e;
  }
}

/**
 * Options of {@linkcode loadCached} (`loadFromCache` in `lib/loader.ts`).
 *
 * @example
 * ```ts
 * import { loadFromCache, type LoadFromCacheOptions } from "@mlink/mlink/loader";
 * const options: LoadFromCacheOptions = {
 *   cacheDir: ".mlink-cache",
 *   onCorrupt: (path, error) => console.error(`${path}: ${error.reason}`),
 * };
 * const { module } = await loadFromCache(await Deno.readFile("app.wasm"), options);
 * ```
 */
export interface LoadCachedOptions {
  /** The cache directory (created if missing). */
  cacheDir: string;
  /**
   * Compiles the input on a miss or a corrupt entry. Without it, a miss is
   * an `ArtifactError`: the loader alone cannot compile.
   */
  compile?: (input: Uint8Array | string) => Promise<Module>;
  /** Told about a corrupt entry before it is replaced (default: `console.warn`). */
  onCorrupt?: (path: string, error: ArtifactError) => void;
}

/** How {@linkcode loadCached} got its module: found, compiled, or compiled in place of a corrupt entry. */
export type CacheOutcome = "hit" | "miss" | "replaced";

/**
 * Returns the Module for `input` from the cache when a valid entry is
 * there; otherwise compiles it (when `compile` is given), stores the
 * artifact and returns the module. A corrupt entry is reported, never used,
 * and replaced. Without `compile` (the loader's `loadFromCache`), a miss is
 * an `ArtifactError`.
 *
 * @param input The binary or text the artifact was made from.
 * @param options The cache directory, and the compiler if any.
 * @returns The module, how it was got, and the entry's path.
 *
 * @example
 * ```ts
 * import { instantiate, loadFromCache } from "@mlink/mlink/loader";
 * // After `cli.ts precompile app.wasm --out .mlink-cache`:
 * const { module } = await loadFromCache(await Deno.readFile("app.wasm"), {
 *   cacheDir: ".mlink-cache",
 * });
 * const instance = await instantiate(module);
 * ```
 */
export async function loadCached(
  input: Uint8Array | string,
  options: LoadCachedOptions,
): Promise<{ module: Module; outcome: CacheOutcome; path: string }> {
  const path = entryPath(options.cacheDir, await cacheKey(input));
  let outcome: CacheOutcome = "miss";
  let stored: Uint8Array | undefined;
  try {
    stored = await Deno.readFile(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  if (stored !== undefined) {
    try {
      return { module: Module.deserialize(stored, path), outcome: "hit", path };
    } catch (e) {
      if (!(e instanceof ArtifactError)) throw e;
      (options.onCorrupt ??
        ((p, err) =>
          console.warn(
            `mlink: corrupt cache entry ${p}: ${err.reason}; replacing it`,
          )))(
          path,
          e,
        );
      outcome = "replaced";
    }
  }
  if (options.compile === undefined) {
    throw new ArtifactError(
      outcome === "miss"
        ? "not in the cache, and no compiler was given: precompile it with `cli.ts precompile`, or use loadCached from mod.ts"
        : "the cache entry is corrupt, and no compiler was given to replace it",
      path,
    );
  }
  const module = await options.compile(input);
  await Deno.mkdir(options.cacheDir, { recursive: true });
  await writeFileAtomic(path, module.serialize());
  return { module, outcome, path };
}
