/**
 * Loading artifacts into Modules, without the compiler: the two ways the
 * loader offers (lazy and eager), shared by `lib/loader.ts` and the
 * manifest reader.
 *
 * @module
 */

import { compileCores, Module, moduleParts, modulePaths } from "../runtime/module.ts";

/**
 * Synchronous load of an artifact; core modules compile lazily, on first
 * instantiation. Throws `ArtifactError` for a truncated, corrupt or foreign
 * artifact; `source` (a file name, say) names it in messages.
 *
 * @param bytes The artifact, as `Module.serialize` wrote it.
 * @param source What to call the artifact in error messages.
 * @returns The module, ready to instantiate.
 *
 * @example
 * ```ts
 * import { deserialize, instantiate } from "@mlink/mlink/loader";
 * const module = deserialize(await Deno.readFile("app.mlk"), "app.mlk");
 * const instance = await instantiate(module);
 * ```
 */
export function deserialize(bytes: Uint8Array, source?: string): Module {
  return Module.deserialize(bytes, source);
}

/**
 * Loads an artifact and compiles all its core modules with V8 in parallel,
 * so that instantiation does no compiling. Throws `ArtifactError` for a bad
 * artifact, `CompileError` if V8 rejects a core module in it or a core
 * module's imports or exports are not the ones its module describes.
 *
 * @param bytes The artifact, as `Module.serialize` wrote it.
 * @param source What to call the artifact in error messages.
 * @returns The module, its core modules compiled.
 *
 * @example
 * ```ts
 * import { instantiate, loadArtifact } from "@mlink/mlink/loader";
 * const module = await loadArtifact(await Deno.readFile("app.mlk"), "app.mlk");
 * const instance = await instantiate(module);
 * ```
 */
export async function loadArtifact(
  bytes: Uint8Array,
  source?: string,
): Promise<Module> {
  return await compileAll(Module.deserialize(bytes, source));
}

/**
 * Compiles every core module of `module` with V8 in parallel, as
 * {@linkcode loadArtifact} does after reading, so that instantiation does no
 * compiling. Throws `CompileError` as `loadArtifact` does.
 *
 * @param module A module loaded from an artifact.
 * @returns The same module.
 *
 * @example
 * ```ts
 * import { compileAll, deserialize } from "./load.ts";
 * const module = await compileAll(deserialize(await Deno.readFile("app.mlk"), "app.mlk"));
 * ```
 */
export async function compileAll(module: Module): Promise<Module> {
  const { blob } = moduleParts(module);
  await compileCores(blob, modulePaths(blob.compiled));
  return module;
}
