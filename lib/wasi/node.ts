/**
 * The default WASI backend: Deno's built-in `node:wasi`. No dependency, fast
 * system calls, and file access confined to the preopened directories (and,
 * under Deno, to what its permissions allow).
 *
 * @module
 */

import { LinkError } from "../errors.ts";
import type { WasiBackend } from "./backend.ts";

/**
 * What a WASI program sees of the world.
 *
 * @example
 * ```ts
 * import { nodeWasi, type WasiConfig } from "@mlink/mlink/wasi";
 * const config: WasiConfig = { args: ["prog"], env: { HOME: "/home" }, preopens: { "/home": "." } };
 * const backend = await nodeWasi(config);
 * ```
 */
export interface WasiConfig {
  /** The program's arguments, `argv[0]` included. */
  args?: readonly string[];
  /** Its environment variables. */
  env?: Readonly<Record<string, string>>;
  /** Preopened directories: path as the program sees it → host directory. */
  preopens?: Readonly<Record<string, string>>;
  /** Host file descriptor the program reads as its stdin (0 by default). */
  stdin?: number;
  /** Host file descriptor of its stdout (1 by default). */
  stdout?: number;
  /** Host file descriptor of its stderr (2 by default). */
  stderr?: number;
}

/**
 * Makes a backend on Deno's `node:wasi`, loaded on first use so that
 * importing mlink's WASI entry costs nothing.
 *
 * @example
 * ```ts
 * import { nodeWasi } from "@mlink/mlink/wasi";
 * const backend = await nodeWasi({ args: ["prog", "in.txt"], preopens: { "/data": "." } });
 * console.log(Object.keys(backend.imports).length > 40); // true
 * ```
 */
export async function nodeWasi(config: WasiConfig = {}): Promise<WasiBackend> {
  checkConfig(config);
  const [{ WASI }, { default: process }] = await Promise.all([
    import("node:wasi"),
    import("node:process"),
  ]);
  // node:wasi prints an "experimental" warning once per process; a runtime
  // that chose it on purpose should not pass that on to its users.
  const emitWarning = process.emitWarning;
  process.emitWarning = () => {};
  let wasi;
  try {
    wasi = new WASI({
      version: "preview1",
      args: [...(config.args ?? [])],
      env: { ...config.env },
      preopens: { ...config.preopens },
      stdin: config.stdin,
      stdout: config.stdout,
      stderr: config.stderr,
      returnOnExit: true,
    });
  } catch (e) {
    throw new LinkError(`cannot set up WASI: ${(e as Error).message}`, { path: [] }, { cause: e });
  } finally {
    process.emitWarning = emitWarning;
  }
  // `finalizeBindings` points node:wasi at a memory and, unlike `start`,
  // may be called again: that is what lets each caller bring its own.
  const bindable = wasi as unknown as Bindable;
  if (typeof bindable.finalizeBindings !== "function") {
    throw new LinkError("this runtime's node:wasi has no finalizeBindings (a newer Deno has it)");
  }
  const holder = { exports: {} };
  return {
    imports: wasi.wasiImport as WasiBackend["imports"],
    useMemory(memory) {
      bindable.finalizeBindings(holder, { memory });
    },
  };
}

/** The part of node:wasi's WASI class that its type declarations here lack. */
interface Bindable {
  finalizeBindings(instance: object, options: { memory: WebAssembly.Memory }): void;
}

/** Rejects what `node:wasi` would turn into an obscure error, or accept silently. */
function checkConfig(config: WasiConfig): void {
  if (config === null || typeof config !== "object") {
    throw new LinkError(
      `WASI options must be an object, got ${config === null ? "null" : typeof config}`,
    );
  }
  const { args = [], env = {}, preopens = {} } = config;
  if (!Array.isArray(args) || args.some((a) => typeof a !== "string")) {
    throw new LinkError("WASI args must be an array of strings");
  }
  for (const [what, record] of [["env", env], ["preopens", preopens]] as const) {
    if (record === null || typeof record !== "object") {
      throw new LinkError(`WASI ${what} must be an object of strings`);
    }
    for (const [name, value] of Object.entries(record)) {
      if (typeof value !== "string") {
        throw new LinkError(
          `WASI ${what}: ${JSON.stringify(name)} must be a string, got ${typeof value}`,
        );
      }
    }
  }
  for (const name of Object.keys(env)) {
    if (name === "" || name.includes("=") || name.includes("\0")) {
      throw new LinkError(`WASI env: ${JSON.stringify(name)} is not a valid variable name`);
    }
  }
  for (const fd of ["stdin", "stdout", "stderr"] as const) {
    const value = config[fd];
    if (value !== undefined && !(Number.isInteger(value) && value >= 0 && value < 2 ** 31)) {
      throw new LinkError(
        `WASI ${fd} must be a host file descriptor (an integer ≥ 0), got ${value}`,
      );
    }
  }
}
