/**
 * The `wasi_snapshot_preview1` instance a program imports: each function
 * bound, per calling core instance, to that instance's memory.
 *
 * @module
 */

import { type Caller, withCaller } from "../runtime/caller.ts";
import { MEMORY_FREE, type WasiBackend, type WasiFunction } from "./backend.ts";

/** The name under which WASI preview1 programs import their system calls. */
export const WASI_MODULE = "wasi_snapshot_preview1";

/**
 * Thrown by `proc_exit` to unwind the program; {@linkcode runWasi} and the
 * CLI turn it into the exit code.
 *
 * @example
 * ```ts
 * import { WasiExit } from "@mlink/mlink/wasi";
 * try {
 *   throw new WasiExit(3);
 * } catch (e) {
 *   if (e instanceof WasiExit) console.log(e.code); // 3
 * }
 * ```
 */
export class WasiExit extends Error {
  /** The exit code the program asked for. */
  readonly code: number;

  /** Makes the exit signal for `code`. */
  constructor(code: number) {
    super(`the program exited with code ${code}`);
    this.name = "WasiExit";
    this.code = code;
  }
}

/** Which memory the backend points at now, shared by every binding of one backend. */
interface Current {
  memory: WebAssembly.Memory | null;
}

/**
 * The functions of `wasi_snapshot_preview1` for `backend`, as an object to
 * pass as that import (`{ wasi_snapshot_preview1: wasiImports(backend) }`).
 * Functions that touch memory are bound to the memory of the core instance
 * that imports them; `proc_exit` throws {@linkcode WasiExit}.
 *
 * @example
 * ```ts
 * import { compile, instantiate } from "@mlink/mlink";
 * import { nodeWasi, wasiImports } from "@mlink/mlink/wasi";
 * const m = await compile(`(module
 *   (import "wasi_snapshot_preview1" "sched_yield" (func (result i32)))
 *   (func (export "run") (result i32) (call 0)))`);
 * const wasi = wasiImports(await nodeWasi());
 * const { exports } = await instantiate(m, { wasi_snapshot_preview1: wasi });
 * console.log((exports.run as () => number)()); // 0
 * ```
 */
export function wasiImports(backend: WasiBackend): Record<string, WasiFunction> {
  const current: Current = { memory: null };
  const out: Record<string, WasiFunction> = Object.create(null);
  for (const [name, fn] of Object.entries(backend.imports)) {
    if (typeof fn !== "function") continue;
    out[name] = MEMORY_FREE.has(name)
      ? fn
      : withCaller((caller) => bindToCaller(fn, caller, backend, current));
  }
  out.proc_exit = (code: number) => {
    throw new WasiExit(code >>> 0);
  };
  return out;
}

/**
 * `fn` as called by `caller`: the backend is pointed at the caller's memory
 * first, only if it points elsewhere. One wrapper per arity keeps the call
 * monomorphic; WASI preview1 functions take at most nine arguments.
 */
function bindToCaller(
  fn: WasiFunction,
  caller: Caller,
  backend: WasiBackend,
  current: Current,
): WasiFunction {
  let memory: WebAssembly.Memory | undefined;
  const enter = () => {
    memory ??= caller.memory();
    if (current.memory !== memory) {
      backend.useMemory(memory);
      current.memory = memory;
    }
  };
  // `current.memory` is never undefined, so the first call always enters.
  switch (fn.length) {
    case 0:
      return () => (current.memory !== memory && enter(), fn());
    case 1:
      return (a) => (current.memory !== memory && enter(), fn(a));
    case 2:
      return (a, b) => (current.memory !== memory && enter(), fn(a, b));
    case 3:
      return (a, b, c) => (current.memory !== memory && enter(), fn(a, b, c));
    case 4:
      return (a, b, c, d) => (current.memory !== memory && enter(), fn(a, b, c, d));
    case 5:
      return (a, b, c, d, e) => (current.memory !== memory && enter(), fn(a, b, c, d, e));
    case 6:
      return (a, b, c, d, e, f) => (current.memory !== memory && enter(), fn(a, b, c, d, e, f));
    default:
      return (...args: unknown[]) => (current.memory !== memory && enter(), fn(...args));
  }
}
