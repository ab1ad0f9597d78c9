/**
 * Running WASI programs: commands (`_start`) and reactors (`_initialize`),
 * by the WASI application ABI's conventions.
 *
 * @module
 */

import { LinkError } from "../errors.ts";
import { type Instance, isInstance } from "../runtime/instance.ts";
import { instantiate, type InstantiateOptions } from "../runtime/instantiate.ts";
import type { Imports } from "../runtime/linker.ts";
import type { Module } from "../runtime/module.ts";
import type { WasiBackend } from "./backend.ts";
import { WASI_MODULE, WasiExit, wasiImports } from "./imports.ts";
import { nodeWasi, type WasiConfig } from "./node.ts";

/**
 * Options of {@linkcode runWasi}: what the program sees (arguments,
 * environment, preopened directories, standard streams), its other imports,
 * and the WASI backend.
 *
 * @example
 * ```ts
 * import { loadArtifact } from "@mlink/mlink/loader";
 * import { runWasi, type RunWasiOptions } from "@mlink/mlink/wasi";
 * const options: RunWasiOptions = {
 *   args: ["app", "/data/in.txt"],
 *   env: { LANG: "C" },
 *   preopens: { "/data": "./data" },
 *   imports: { env: { now: () => Date.now() } },
 * };
 * Deno.exit(await runWasi(await loadArtifact(await Deno.readFile("app.mlk")), options));
 * ```
 */
export interface RunWasiOptions extends WasiConfig, InstantiateOptions {
  /** Other imports of the module; a `wasi_snapshot_preview1` here replaces mlink's. */
  imports?: Imports;
  /** The WASI implementation; Deno's `node:wasi` ({@linkcode nodeWasi}) by default. */
  backend?: WasiBackend;
}

/**
 * Instantiates a WASI command with `wasi_snapshot_preview1` provided (to
 * its top-level imports, whence the program passes it down to nested
 * instances) and runs it: `_initialize` first if it exports one, then
 * `_start`. Resolves to the exit code: `proc_exit`'s, or 0 when `_start`
 * returns. A trap rejects with V8's `WebAssembly.RuntimeError`.
 *
 * @example
 * ```ts
 * import { compile } from "@mlink/mlink";
 * import { runWasi } from "@mlink/mlink/wasi";
 * const m = await compile(`(module
 *   (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
 *   (func (export "_start") (call $exit (i32.const 3))))`);
 * console.log(await runWasi(m, { args: ["prog"] })); // 3
 * ```
 */
export async function runWasi(module: Module, options: RunWasiOptions = {}): Promise<number> {
  if (options === null || typeof options !== "object") {
    throw new LinkError(
      `runWasi options must be an object, got ${options === null ? "null" : typeof options}`,
    );
  }
  const backend = options.backend ?? await nodeWasi(options);
  const imports = { [WASI_MODULE]: wasiImports(backend), ...options.imports };
  const instance = await instantiate(module, imports, options);
  return runCommand(instance);
}

function exportedFunction(instance: Instance, name: string): (() => unknown) | undefined {
  if (!isInstance(instance)) {
    throw new LinkError(`expects an mlink Instance from instantiate(), got ${typeof instance}`);
  }
  const value = instance.exports[name];
  if (value === undefined) return undefined;
  if (typeof value !== "function") {
    throw new LinkError(`export ${JSON.stringify(name)} must be a function, got ${typeof value}`);
  }
  return value as () => unknown;
}

/**
 * Runs an instantiated command: `_initialize` if present, then `_start`,
 * and returns the exit code. Throws `LinkError` when the instance exports
 * no `_start`.
 *
 * @example
 * ```ts
 * import { compile, instantiate } from "@mlink/mlink";
 * import { runCommand } from "@mlink/mlink/wasi";
 * const m = await compile(`(module (func (export "_start")))`);
 * console.log(runCommand(await instantiate(m))); // 0
 * ```
 */
export function runCommand(instance: Instance): number {
  const start = exportedFunction(instance, "_start");
  if (start === undefined) {
    throw new LinkError(
      "not a WASI command: it exports no _start (a reactor exports _initialize and is called through its other exports)",
    );
  }
  return initializeReactor(instance) ?? exitCodeOf(start);
}

/**
 * Calls a reactor's `_initialize`, if it exports one: the WASI convention
 * is that this runs once, right after instantiation, before anything else
 * calls into the instance. Returns the exit code if it called `proc_exit`
 * (`undefined` otherwise).
 *
 * @example
 * ```ts
 * import { compile, instantiate } from "@mlink/mlink";
 * import { initializeReactor } from "@mlink/mlink/wasi";
 * const m = await compile(`(module (global $g (export "g") (mut i32) (i32.const 0))
 *   (func (export "_initialize") (global.set $g (i32.const 1))))`);
 * const instance = await instantiate(m);
 * initializeReactor(instance);
 * console.log((instance.exports.g as WebAssembly.Global).value); // 1
 * ```
 */
export function initializeReactor(instance: Instance): number | undefined {
  const initialize = exportedFunction(instance, "_initialize");
  if (initialize === undefined) return undefined;
  try {
    initialize();
    return undefined;
  } catch (e) {
    if (e instanceof WasiExit) return e.code;
    throw e;
  }
}

/** Runs `body`; a `proc_exit` becomes its code, a normal return 0. */
function exitCodeOf(body: () => unknown): number {
  try {
    body();
    return 0;
  } catch (e) {
    if (e instanceof WasiExit) return e.code;
    throw e;
  }
}
