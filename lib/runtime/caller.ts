/**
 * Host functions that know which core instance calls them. A WASI function
 * must read and write the memory of the module that called it, not one
 * memory chosen for the whole program: two C modules, each with its own
 * libc and memory, both print. {@linkcode withCaller} marks such a function;
 * when a core instance imports it, the runtime asks it for a function bound
 * to that instance.
 *
 * Nothing changes for other host functions: until the first `withCaller`,
 * instantiation does not even look for marked functions, and afterwards it
 * only looks at a core instance's function imports once, at instantiation.
 *
 * @module
 */

import { LinkError } from "../errors.ts";

/**
 * The core instance that imports a host function marked with
 * {@linkcode withCaller}: its exports, and its memory.
 *
 * @example
 * ```ts
 * import { type Caller, withCaller } from "@mlink/mlink";
 * // A host function that writes a byte into the memory of whoever calls it.
 * const poke = withCaller((caller: Caller) => (address: number, value: number) => {
 *   new Uint8Array(caller.memory().buffer)[address] = value;
 * });
 * ```
 */
export class Caller {
  #exports: WebAssembly.Exports | undefined;
  readonly #describe: () => string;

  /** Internal: the runtime makes one per core instance that imports a marked function. */
  constructor(describe: () => string) {
    this.#describe = describe;
  }

  /**
   * The exports of the calling core instance: everything its module defines
   * and exports. `undefined` while its start function runs, before the
   * instance exists.
   */
  get exports(): WebAssembly.Exports | undefined {
    return this.#exports;
  }

  /** How errors name the calling module, e.g. `module $app > module $libc`. */
  get name(): string {
    return this.#describe();
  }

  /**
   * The calling instance's exported memory named `name` ("memory" by
   * default, the convention of C toolchains). Throws `LinkError` when there
   * is none, or when called from a start function.
   */
  memory(name = "memory"): WebAssembly.Memory {
    const exports = this.#exports;
    if (exports === undefined) {
      throw new LinkError(
        `${this.name} called a host function that needs its memory from its start function, before the instance existed`,
      );
    }
    const memory = exports[name];
    if (!(memory instanceof WebAssembly.Memory)) {
      throw new LinkError(
        `${this.name} calls a host function that needs its memory, but it exports no memory named ${
          JSON.stringify(name)
        }`,
      );
    }
    return memory;
  }

  /** Internal: called by the runtime once the core instance exists. */
  attach(exports: WebAssembly.Exports): void {
    this.#exports = exports;
  }
}

const BIND = Symbol("mlink.withCaller");

let inUse = false;

/**
 * Marks a host function as one that needs its caller. `bind` is called
 * once for each core instance that imports the function, with that
 * instance's {@linkcode Caller}, and returns the function that instance
 * calls. Pass the returned value wherever a host function goes (in
 * `instantiate`'s imports, directly or inside an instance object); it keeps
 * its identity in JS, and calling it from JS, with no calling instance, is a
 * `LinkError`.
 *
 * @example
 * ```ts
 * import { compile, instantiate, withCaller } from "@mlink/mlink";
 * const peek = withCaller((caller) => (address: number) =>
 *   new Uint8Array(caller.memory().buffer)[address]
 * );
 * const m = await compile(`(module
 *   (import "host" "peek" (func $peek (param i32) (result i32)))
 *   (memory (export "memory") 1) (data (i32.const 8) "\\2a")
 *   (func (export "run") (result i32) (call $peek (i32.const 8))))`);
 * const { exports } = await instantiate(m, { host: { peek } });
 * console.log((exports.run as () => number)()); // 42
 * ```
 */
// deno-lint-ignore no-explicit-any
export function withCaller<F extends (...args: any[]) => any>(bind: (caller: Caller) => F): F {
  if (typeof bind !== "function") {
    throw new LinkError(`withCaller expects a function (caller) => function, got ${typeof bind}`);
  }
  inUse = true;
  const marked = function () {
    throw new LinkError(
      "this host function needs a calling core instance: pass it as an import instead of calling it from JS",
    );
  };
  Object.defineProperty(marked, BIND, { value: bind });
  return marked as unknown as F;
}

/** Whether any function was ever marked: until then, instantiation skips {@linkcode bindCallerImports}. */
export function callersInUse(): boolean {
  return inUse;
}

/** Whether any of `values` is a function marked with {@linkcode withCaller}. */
export function anyNeedsCaller(values: readonly unknown[]): boolean {
  for (const value of values) {
    if (typeof value === "function" && BIND in value) return true;
  }
  return false;
}

/**
 * Replaces, in a core instance's import values, every function marked with
 * {@linkcode withCaller} by the function bound to a new `Caller`, which is
 * returned (`null` when nothing needed one). The caller of the runtime
 * attaches the instance's exports to it once the instance exists.
 */
export function bindCallerImports(
  values: unknown[],
  describe: () => string,
): Caller | null {
  let caller: Caller | null = null;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value !== "function") continue;
    const bind = (value as unknown as Record<symbol, unknown>)[BIND];
    if (typeof bind !== "function") continue;
    caller ??= new Caller(describe);
    const bound = bind(caller);
    if (typeof bound !== "function") {
      throw new LinkError(
        `a withCaller binder returned ${typeof bound}, not a function, for ${caller.name}`,
      );
    }
    values[i] = bound;
  }
  return caller;
}
