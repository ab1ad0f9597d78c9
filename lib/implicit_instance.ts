/**
 * The implicit-instance rule of module linking. Within one import section,
 * the two-level imports that share a module name, as `(import "a" "f" …)`
 * and `(import "a" "g" …)`, together import one instance named `"a"` whose
 * exports are their fields, in import order. That instance is one import of
 * the module, placed where the first of them is: it takes the next slot of
 * the instance index space there, and each of the imports then stands for
 * an export of it. A module type's import list groups the same way, as one
 * section.
 *
 * This is the one place that groups imports so, for every layer that
 * applies the rule: the validator's import sections and module types
 * (`lib/compile`) and the text front-end's runs of import fields
 * (`lib/text`). What a repeated field or a single-level import of the same
 * name means is each caller's to say: core wasm allows both, a module that
 * uses module linking and a module type never do (an instance cannot have
 * two exports of one name: "duplicate import name"), and the text
 * front-end leaves them to the validator.
 *
 * @module
 */

/**
 * The implicit instances one import section has started so far, by module
 * name; what an instance is (its exports, its place) is the caller's.
 */
export type ImplicitInstances<Instance> = Map<string, Instance>;

/**
 * The implicit instance that a two-level import from `module` joins: the
 * one an earlier import of the same section started, or else a new one,
 * which `start` makes at this import's place (so that it takes its slots
 * there) and `instances` records.
 *
 * @param instances The implicit instances of the import's section so far.
 * @param module The import's module name: the name of the instance.
 * @param start Makes the instance, when this import is the first from `module`.
 * @returns The instance the import belongs to, for the caller to add the import's field to.
 *
 * @example
 * ```ts
 * import { type ImplicitInstances, joinImplicitInstance } from "./implicit_instance.ts";
 * const instances: ImplicitInstances<string[]> = new Map();
 * joinImplicitInstance(instances, "env", () => []).push("f");
 * joinImplicitInstance(instances, "env", () => []).push("g");
 * instances.get("env"); // ["f", "g"]: one instance of two exports
 * ```
 */
export function joinImplicitInstance<Instance>(
  instances: ImplicitInstances<Instance>,
  module: string,
  start: () => Instance,
): Instance {
  let instance = instances.get(module);
  if (instance === undefined) {
    instance = start();
    instances.set(module, instance);
  }
  return instance;
}
