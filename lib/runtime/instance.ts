/**
 * `Instance`: the exports of an instantiated module, by name.
 *
 * @module
 */

import type { InstanceTypeRef, Module } from "./module.ts";

/**
 * What an instance exports: functions (the V8 exported functions
 * themselves), `WebAssembly.Memory`/`Table`/`Global`/`Tag` objects, and for
 * module linking, `Module`s and nested `Instance`s.
 */
export type ExportValue =
  // deno-lint-ignore ban-types
  | Function
  | WebAssembly.Memory
  | WebAssembly.Table
  | WebAssembly.Global
  // A `WebAssembly.Tag`, which TypeScript's declarations do not have yet.
  | { readonly [Symbol.toStringTag]: "WebAssembly.Tag" }
  | Module
  | Instance
  | number
  | bigint;

let typeOfInstance: (instance: Instance) => InstanceTypeRef | undefined;
let isRealInstance: (value: unknown) => value is Instance;
let typed: (
  exports: Readonly<Record<string, ExportValue>>,
  type: InstanceTypeRef,
) => Instance;

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
  // Set only by the runtime (`typedInstance`): a type passed from outside
  // would be trusted by import matching.
  #type: InstanceTypeRef | undefined;

  /**
   * One instance that lives as long as the class, so that V8 keeps the
   * hidden class of instances. V8 frees a hidden class once no object has
   * it: a full GC that finds every instance dead (a program that
   * instantiates, uses and drops) would free it, and V8 would throw away
   * the runtime's optimized code, which is specialized to it; instantiation
   * then runs unoptimized until V8 optimizes it again (1.5× hand-written
   * glue instead of 1.05 in `bench/instantiate_interleaved.ts`).
   */
  static readonly #keepShape = new Instance(Object.freeze(Object.create(null)));

  static {
    typeOfInstance = (instance) => instance.#type;
    isRealInstance = (value): value is Instance =>
      typeof value === "object" && value !== null && #type in value;
    typed = (exports, type) => {
      const instance = new Instance(exports);
      instance.#type = type;
      return instance;
    };
  }

  /**
   * Internal: instances come from `instantiate`. One made by hand has no
   * static type, and an instance import reads it as an object of its exports.
   */
  constructor(exports: Readonly<Record<string, ExportValue>>) {
    this.exports = exports;
  }
}

/**
 * An instance the runtime made, of static type `type`: by instantiation, or
 * from host values checked against `type`.
 */
export function typedInstance(
  exports: Readonly<Record<string, ExportValue>>,
  type: InstanceTypeRef,
): Instance {
  return typed(exports, type);
}

/** The static type of an instance, when it has one. */
export function instanceTypeOf(
  instance: Instance,
): InstanceTypeRef | undefined {
  return typeOfInstance(instance);
}

/**
 * Whether `value` is an `Instance` this module made. Unlike `instanceof`,
 * `Object.create(Instance.prototype)` is not one.
 */
export function isInstance(value: unknown): value is Instance {
  return isRealInstance(value);
}
