/**
 * mlink: a WebAssembly runtime for the module-linking proposal, on Deno's V8.
 *
 * ```ts
 * import { compile, instantiate } from "@mlink/mlink";
 * const module = await compile(`(module
 *   (module $child (func (export "hi") (result i32) i32.const 42))
 *   (instance $c (instantiate $child))
 *   (export "hi" (func $c "hi")))`);
 * const { exports } = await instantiate(module);
 * console.log((exports.hi as () => number)()); // 42
 * ```
 *
 * @module
 */

export {
  compile,
  type CompileOptions,
  compileSync,
  parseWat,
  type ParseWatOptions,
} from "./lib/api.ts";
export {
  validate,
  type ValidateOptions,
  validateSync,
  type ValidationResult,
} from "./lib/validate.ts";
export { printWat } from "./lib/print/mod.ts";
export {
  instantiate,
  type InstantiateOptions,
  instantiateSync,
} from "./lib/runtime/instantiate.ts";
export type { Imports } from "./lib/runtime/linker.ts";
export {
  type ExternKind,
  type FusionReport,
  Module,
  type ModuleExportDescriptor,
  type ModuleImportDescriptor,
  type NestedFusion,
} from "./lib/runtime/module.ts";
export { type ExportValue, Instance } from "./lib/runtime/instance.ts";
export {
  ArtifactError,
  CompileError,
  LinkError,
  type TextLocation,
  WatError,
} from "./lib/errors.ts";
export {
  deserialize,
  loadArtifact,
  loadFromManifest,
  type LoadFromManifestOptions,
} from "./lib/loader.ts";
export { loadCached, type LoadCachedOptions } from "./lib/deploy/cached.ts";
export { cacheKey, type CacheOutcome } from "./lib/deploy/cache.ts";
export { Caller, withCaller } from "./lib/runtime/caller.ts";
export {
  initializeReactor,
  nodeWasi,
  runCommand,
  runWasi,
  type RunWasiOptions,
  WASI_MODULE,
  type WasiBackend,
  type WasiConfig,
  WasiExit,
  type WasiFunction,
  wasiImports,
} from "./lib/wasi.ts";
export { directoryOf, fileReader } from "./lib/file_reader.ts";
export {
  link,
  type LinkInput,
  type LinkOptions,
  LinkToolError,
  type LinkToolErrorCode,
  type ModuleSpec,
  parseModuleSpec,
} from "./lib/link.ts";
