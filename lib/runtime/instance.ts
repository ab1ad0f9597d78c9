/**
 * `Instance`: the exports of an instantiated module, by name.
 *
 * @module
 */

import type { TypeTables } from "../types.ts";
import type { Module } from "./module.ts";

/**
 * What an instance exports: functions (the V8 exported functions
 * themselves), `WebAssembly.Memory`/`Table`/`Global` objects, and for
 * module linking, `Module`s and nested `Instance`s.
 */
export type ExportValue =
  // deno-lint-ignore ban-types
  | Function
  | WebAssembly.Memory
  | WebAssembly.Table
  | WebAssembly.Global
  | Module
  | Instance
  | number
  | bigint;

/** The static type of an instance: an instance type in some tables. */
export interface InstanceTypeRef {
  readonly tables: TypeTables;
  readonly type: number;
}

let typeOfInstance: (instance: Instance) => InstanceTypeRef | undefined;

/**
 * An instance of a module-linking module. Its `exports` object has no
 * prototype (an export named `constructor` or `__proto__` is a plain
 * property) and is frozen, like `WebAssembly.Instance.prototype.exports`.
 *
 * @example
 * ```ts
 * import { compile, instantiate } from "@mlink/mlink";
 * const m = await compile(`(module (func (export "seven") (result i32) i32.const 7))`);
 * const { exports } = await instantiate(m);
 * console.log((exports.seven as () => number)());
 * ```
 */
export class Instance {
  /** Exports by name. */
  readonly exports: Readonly<Record<string, ExportValue>>;
  readonly #type: InstanceTypeRef | undefined;

  static {
    typeOfInstance = (instance) => instance.#type;
  }

  /**
   * Internal: instances come from `instantiate`, or stand for a set of host
   * values passed as an instance import (then `type` is the type they were
   * checked against).
   */
  constructor(
    exports: Readonly<Record<string, ExportValue>>,
    type?: InstanceTypeRef,
  ) {
    this.exports = exports;
    this.#type = type;
  }
}

/** The static type of an instance, when it has one. */
export function instanceTypeOf(
  instance: Instance,
): InstanceTypeRef | undefined {
  return typeOfInstance(instance);
}
