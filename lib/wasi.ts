/**
 * WASI for mlink: run WASI preview1 commands and reactors, with each system
 * call acting on the memory of the core instance that made it. Free of the
 * compiler and wabt, so a deploy imports `lib/loader.ts` and this, and
 * nothing else.
 *
 * ```ts
 * import { loadArtifact } from "@mlink/mlink/loader";
 * import { runWasi } from "@mlink/mlink/wasi";
 * const module = await loadArtifact(await Deno.readFile("app.mlk"));
 * Deno.exit(await runWasi(module, { args: ["app"], preopens: { "/data": "data" } }));
 * ```
 *
 * @module
 */

export { MEMORY_FREE, type WasiBackend, type WasiFunction } from "./wasi/backend.ts";
export { WASI_MODULE, WasiExit, wasiImports } from "./wasi/imports.ts";
export { nodeWasi, type WasiConfig } from "./wasi/node.ts";
export { initializeReactor, runCommand, runWasi, type RunWasiOptions } from "./wasi/run.ts";
export { Caller, withCaller } from "./runtime/caller.ts";
// The runtime types that WASI's functions take and return, for users of
// this entry alone (type-only: nothing more is loaded).
export type { ExportValue, Instance } from "./runtime/instance.ts";
export type { InstantiateOptions } from "./runtime/instantiate.ts";
export type { Imports } from "./runtime/linker.ts";
export type {
  ExternKind,
  FusionReport,
  Module,
  ModuleExportDescriptor,
  ModuleImportDescriptor,
  NestedFusion,
} from "./runtime/module.ts";
