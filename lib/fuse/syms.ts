/**
 * The values fusion plans with: what each value of a module-linking
 * program is at compile time (see `plan.ts`).
 *
 * @module
 */

import type { CoreKind, EntityKind } from "../ir.ts";
import type { EntityType, NamedType } from "../types.ts";
import type { CoreInfo } from "./core_info.ts";

/** A value of the program, as fusion knows it at compile time. */
export type Sym = HostSym | ItemSym | ModuleSym | NodeSym | BundleSym;

/** A host value: import `path[0]`, or an export of it (`path[1]` …) when it is an instance. */
export interface HostSym {
  readonly t: "host";
  readonly kind: EntityKind;
  readonly type: EntityType;
  readonly path: readonly string[];
  /**
   * For a value a fused step reads from its module's index spaces: the
   * instance there (its index in the instance space) that `path` starts
   * from, instead of an import.
   */
  readonly base?: number;
  /** An instance's exports, when `type` names no instance type (an instance made at run time). */
  readonly exports?: readonly NamedType[];
}

/**
 * Item `index` of the index space of `kind` of `node`'s core module. For a
 * global, `via` is the core export it was read through: V8 makes one
 * `WebAssembly.Global` per export of a global, so that is its identity.
 */
export interface ItemSym {
  readonly t: "item";
  readonly node: PlanNode;
  readonly kind: CoreKind;
  readonly index: number;
  readonly via: string;
}

/** A module value whose code is module `compiled` of the blob, with what it closed over. */
export interface ModuleSym {
  readonly t: "module";
  readonly compiled: number;
  readonly upvars: readonly Sym[];
}

/** A planned instance. */
export interface NodeSym {
  readonly t: "node";
  readonly node: PlanNode;
}

/** An instance made of items, `(instance (export …) …)`, with its instance type. */
export interface BundleSym {
  readonly t: "bundle";
  readonly exports: ReadonlyMap<string, Sym>;
  readonly type: number;
}

/** One instance of the graph. */
export interface PlanNode {
  /** Its module, in the blob. */
  readonly compiled: number;
  /** How `inspect` and function names name it: its path of module names. */
  readonly label: string;
  /** The values its core module imports, in order. */
  readonly coreValues: readonly Sym[];
  /** Its index spaces, by kind. */
  readonly spaces: readonly (readonly Sym[])[];
  /** Its core module, read; `null` when it has none. */
  readonly info: CoreInfo | null;
  /** Its core module's bytes; `null` when it has none. */
  readonly core: Uint8Array | null;
}
