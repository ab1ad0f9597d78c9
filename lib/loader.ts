/**
 * The lightweight loader: everything a deploy needs to run precompiled
 * artifacts — deserialize, instantiate, the runtime classes and errors, the
 * artifact cache and its manifest — and nothing of the compiler, the text
 * front-end or wabt. Importing it does no work.
 *
 * ```ts
 * import { instantiate, loadArtifact } from "@mlink/mlink/loader";
 * const module = await loadArtifact(await Deno.readFile("app.mlk"));
 * const instance = await instantiate(module);
 * ```
 *
 * @module
 */

export { ArtifactError, CompileError, LinkError, type TextLocation } from "./errors.ts";
export { type ExportValue, Instance } from "./runtime/instance.ts";
export { instantiate, type InstantiateOptions, instantiateSync } from "./runtime/instantiate.ts";
export type { Imports } from "./runtime/linker.ts";
export {
  cacheKey,
  type CacheOutcome,
  loadFromCache,
  type LoadFromCacheOptions,
} from "./deploy/cache.ts";
export { deserialize, loadArtifact } from "./deploy/load.ts";
export { loadFromManifest, type LoadFromManifestOptions } from "./deploy/manifest.ts";
export {
  type ExternKind,
  type FusionReport,
  Module,
  type ModuleExportDescriptor,
  type ModuleImportDescriptor,
  type NestedFusion,
} from "./runtime/module.ts";
