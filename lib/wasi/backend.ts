/**
 * The seam between mlink and a WASI preview1 implementation. mlink binds
 * each function to the memory of the core instance that calls it; an
 * implementation only has to act on the memory it was last pointed at.
 *
 * @module
 */

/**
 * A `wasi_snapshot_preview1` function as a backend provides it and the
 * program imports it: wasm numbers in, an errno (or nothing) out.
 *
 * @example
 * ```ts
 * import type { WasiFunction } from "@mlink/mlink/wasi";
 * const sched_yield: WasiFunction = () => 0; // errno 0: success
 * ```
 */
// deno-lint-ignore no-explicit-any
export type WasiFunction = (...args: any[]) => unknown;

/**
 * A WASI preview1 implementation, seen through two things: its
 * `wasi_snapshot_preview1` functions, which act on one current memory, and
 * a way to change that memory. mlink calls `useMemory` only when the
 * calling instance differs from the last one, so one program with one
 * memory points it once.
 *
 * Deno's built-in `node:wasi` is the default ({@linkcode nodeWasi}); an
 * in-memory implementation plugs in the same way, for tests or browsers.
 *
 * @example
 * ```ts
 * import type { WasiBackend } from "@mlink/mlink/wasi";
 * // An implementation that knows only proc_exit and sched_yield.
 * const tiny: WasiBackend = {
 *   imports: { sched_yield: () => 0 },
 *   useMemory(_memory) {},
 * };
 * ```
 */
export interface WasiBackend {
  /** The `wasi_snapshot_preview1` functions, by name. */
  readonly imports: Readonly<Record<string, WasiFunction>>;
  /** Points the functions at the memory of the instance about to call them. */
  useMemory(memory: WebAssembly.Memory): void;
}

/**
 * The functions of `wasi_snapshot_preview1` that never touch memory: they
 * are passed to the program unbound, with no wrapper at all.
 */
export const MEMORY_FREE: ReadonlySet<string> = new Set([
  "proc_raise",
  "sched_yield",
  "fd_advise",
  "fd_allocate",
  "fd_close",
  "fd_datasync",
  "fd_fdstat_set_flags",
  "fd_fdstat_set_rights",
  "fd_filestat_set_size",
  "fd_filestat_set_times",
  "fd_renumber",
  "fd_sync",
  "sock_shutdown",
]);
