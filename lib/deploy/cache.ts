/**
 * A content-addressed artifact cache on disk, for deploys that precompile:
 * the key of an input is a hash of its bytes and the artifact format
 * version, so a changed input or a new format never hits a stale entry.
 *
 * A cache directory is untrusted like the artifacts in it: each entry is
 * checked before use, and one that is unusable is corrupt, never served
 * (`cache_entry.ts` says how). Every filesystem failure is an
 * `ArtifactError` naming the path.
 *
 * This file does not import the compiler: whoever may compile on a miss
 * passes a `compile` function (`mod.ts` does; `lib/loader.ts` need not).
 *
 * @module
 */

import { ARTIFACT_VERSION } from "../artifact/format.ts";
import { ArtifactError, typeName } from "../errors.ts";
import { MAX_ARTIFACT_BYTES } from "../limits.ts";
import { isModule, type Module } from "../runtime/module.ts";
import { entryPath, readEntry, sha256, storeEntry } from "./cache_entry.ts";
import { directoryOption, functionOption, limitOption, optionsRecord } from "./options.ts";

const encoder = new TextEncoder();

/**
 * The cache key of an input: hex SHA-256 of the format version and the
 * input bytes (a string counts as its UTF-8 bytes).
 *
 * Throws `ArtifactError` for an input that is neither a `Uint8Array` nor a
 * string, and for a string with a lone surrogate, which has no UTF-8 bytes
 * of its own (it would share the key of the text with U+FFFD instead).
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
  return await keyOf(inputBytes(input, "cacheKey"));
}

/** The cache key of these input bytes. */
async function keyOf(bytes: Uint8Array): Promise<string> {
  const prefix = encoder.encode(`mlink-artifact-${ARTIFACT_VERSION}\0`);
  const all = new Uint8Array(prefix.length + bytes.length);
  all.set(prefix);
  all.set(bytes, prefix.length);
  return await sha256(all);
}

/** The bytes of an input to compile, or an `ArtifactError` naming `caller` for anything else. */
function inputBytes(input: unknown, caller: string): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (typeof input !== "string") {
    throw new ArtifactError(
      `${caller}: the input must be a Uint8Array or a string, got ${typeName(input)}`,
    );
  }
  if (!input.isWellFormed()) {
    throw new ArtifactError(
      `${caller}: the input text has a lone surrogate (it is not well-formed Unicode)`,
    );
  }
  return encoder.encode(input);
}

/**
 * Options of {@linkcode loadCached} (`loadFromCache` in `lib/loader.ts`).
 *
 * @example
 * ```ts
 * import { loadFromCache, type LoadFromCacheOptions } from "@mlink/mlink/loader";
 * const options: LoadFromCacheOptions = {
 *   cacheDir: ".mlink-cache",
 *   maxArtifactBytes: 64 << 20, // refuse entries over 64 MiB
 * };
 * const { module } = await loadFromCache(await Deno.readFile("app.wasm"), options);
 * ```
 */
export interface LoadFromCacheOptions {
  /** The cache directory (created if missing when something is stored). */
  cacheDir: string;
  /**
   * Compiles the input on a miss or a corrupt entry. Without it, a miss or
   * a corrupt entry is an `ArtifactError`: the loader alone cannot compile.
   */
  compile?: (input: Uint8Array | string) => Promise<Module>;
  /**
   * Told about a corrupt entry before it is replaced (default:
   * `console.warn`). Without `compile` nothing is replaced, and a corrupt
   * entry is an `ArtifactError` instead.
   */
  onCorrupt?: (path: string, error: ArtifactError) => void;
  /** Largest artifact read from the cache, in bytes (default 1 GiB); a bigger one is corrupt. */
  maxArtifactBytes?: number;
}

/** How {@linkcode loadCached} got its module: found, compiled, or compiled in place of a corrupt entry. */
export type CacheOutcome = "hit" | "miss" | "replaced";

/**
 * Returns the Module for `input` from the cache when a valid entry is
 * there; otherwise compiles it (when `compile` is given), stores the
 * artifact and returns the module. A corrupt entry — not a regular file,
 * too big, damaged, or the artifact of another input — is reported, never
 * used, and replaced. Without `compile` (the loader's `loadFromCache`), a
 * miss or a corrupt entry is an `ArtifactError` that says which.
 *
 * Throws `ArtifactError` for an input that is not a `Uint8Array` or a
 * string, for bad options, and for a cache directory it cannot read or
 * write (a file, no permission), naming the path.
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
export async function loadFromCache(
  input: Uint8Array | string,
  options: LoadFromCacheOptions,
): Promise<{ module: Module; outcome: CacheOutcome; path: string }> {
  return await loadThroughCache(input, options, "loadFromCache");
}

/** {@linkcode loadFromCache}, with errors naming `caller`: the public function the user called. */
export async function loadThroughCache(
  input: Uint8Array | string,
  options: LoadFromCacheOptions,
  caller: string,
): Promise<{ module: Module; outcome: CacheOutcome; path: string }> {
  const record = optionsRecord(options, caller);
  const cacheDir = directoryOption(record.cacheDir, caller, "cacheDir");
  const compile = functionOption<LoadFromCacheOptions["compile"]>(
    record.compile,
    caller,
    "compile",
  );
  const onCorrupt = functionOption<LoadFromCacheOptions["onCorrupt"]>(
    record.onCorrupt,
    caller,
    "onCorrupt",
  ) ?? warnCorrupt;
  const limit = limitOption(
    record.maxArtifactBytes,
    caller,
    "maxArtifactBytes",
    MAX_ARTIFACT_BYTES,
  );
  const key = await keyOf(inputBytes(input, caller));
  const path = entryPath(cacheDir, key);
  const entry = await readEntry(cacheDir, key, { limit });
  if (entry.state === "valid") return { module: entry.module, outcome: "hit", path };
  if (compile === undefined) {
    throw entry.state === "absent"
      ? new ArtifactError(
        "not in the cache, and no compiler was given: precompile it with `cli.ts precompile`, or use loadCached from mod.ts",
        { source: path },
      )
      : new ArtifactError(
        `the cache entry is unusable (${entry.error.reason}); the loader cannot compile a replacement: precompile again, or use loadCached from mod.ts`,
        { source: path },
        { cause: entry.error },
      );
  }
  if (entry.state === "corrupt") onCorrupt(path, entry.error);
  const module = await compile(input);
  if (!isModule(module)) {
    throw new ArtifactError(`${caller}: compile returned ${typeName(module)}, not a Module`);
  }
  await storeEntry(cacheDir, key, module.serialize());
  return { module, outcome: entry.state === "corrupt" ? "replaced" : "miss", path };
}

function warnCorrupt(path: string, error: ArtifactError): void {
  console.warn(
    `mlink: corrupt cache entry ${path}: ${error.reason}; compiling it again to replace it`,
  );
}
