/**
 * The lightweight loader: everything a deploy needs to run precompiled
 * artifacts — deserialize, instantiate, the runtime classes and errors —
 * and nothing of the compiler, the text front-end or wabt. Importing it does
 * no work.
 *
 * ```ts
 * import { instantiate, loadArtifact } from "./lib/loader.ts";
 * const module = await loadArtifact(await Deno.readFile("app.mlk"));
 * const instance = await instantiate(module);
 * ```
 *
 * @module
 */

import { compileCores, Module, moduleParts, modulePaths } from "./runtime/module.ts";

export { ArtifactError, CompileError, LinkError } from "./errors.ts";
export { type ExportValue, Instance } from "./runtime/instance.ts";
export { instantiate, type InstantiateOptions, instantiateSync } from "./runtime/instantiate.ts";
export type { Imports } from "./runtime/linker.ts";
export {
  cacheKey,
  type CacheOutcome,
  loadCached as loadFromCache,
  type LoadCachedOptions as LoadFromCacheOptions,
} from "./artifact/cache.ts";
export {
  type ExternKind,
  Module,
  type ModuleExportDescriptor,
  type ModuleImportDescriptor,
} from "./runtime/module.ts";

/** Synchronous load of an artifact; core modules compile lazily, on first instantiation. */
export function deserialize(bytes: Uint8Array, source?: string): Module {
  return Module.deserialize(bytes, source);
}

/**
 * Loads an artifact and compiles all its core modules with V8 in parallel,
 * so that instantiation does no compiling. Throws `ArtifactError` for a bad
 * artifact, `CompileError` if V8 rejects a core module in it.
 */
export async function loadArtifact(
  bytes: Uint8Array,
  source?: string,
): Promise<Module> {
  const module = Module.deserialize(bytes, source);
  const { blob } = moduleParts(module);
  await compileCores(blob, modulePaths(blob.compiled));
  return module;
}
