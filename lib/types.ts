/**
 * Entity, module and instance types, the {@linkcode TypeTables} that store
 * them canonically for a compiled blob, and the one subtyping check that
 * serves both validation and run-time linking.
 *
 * @module
 */

import type { GlobalType, MemoryType, TableType, ValType } from "./ir.ts";
import { MAX_TYPE_SIZE } from "./limits.ts";

/** A function type. */
export interface FuncType {
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
}

/**
 * The type of an entity. For func, module and instance, `type` indexes
 * {@linkcode TypeTables.funcs}, `.modules` or `.instances` of the tables it
 * belongs to; table, memory and global types are inline.
 */
export type EntityType =
  | { readonly kind: 0; readonly type: number }
  | { readonly kind: 1; readonly type: TableType }
  | { readonly kind: 2; readonly type: MemoryType }
  | { readonly kind: 3; readonly type: GlobalType }
  | { readonly kind: 5; readonly type: number }
  | { readonly kind: 6; readonly type: number };

/** A named entity type: an import of a module type or an export of a module or instance type. */
export interface NamedType {
  readonly name: string;
  readonly type: EntityType;
}

/**
 * A module type. Imports are single-level names: two-level imports `"a" "b"`
 * appear as one instance import `"a"` whose type gathers them.
 */
export interface ModuleType {
  readonly imports: readonly NamedType[];
  readonly exports: readonly NamedType[];
}

/** An instance type: its exports. */
export interface InstanceType {
  readonly exports: readonly NamedType[];
}

/** Thrown by {@linkcode TypeTables} when a type's effective size passes {@linkcode MAX_TYPE_SIZE}. */
export class TypeSizeError extends Error {
  /** Makes the error for a type of the given (saturated) size. */
  constructor(size: number) {
    super(
      `type is too large: its effective size ${
        size > MAX_TYPE_SIZE ? `exceeds ${MAX_TYPE_SIZE}` : size
      } (types that reference other types are counted as if expanded)`,
    );
    this.name = "TypeSizeError";
  }
}

/**
 * Canonical store of the func, module and instance types of one compiled
 * blob. Structurally equal types are interned to one index, so equal
 * indices in the same tables mean equal types.
 */
export class TypeTables {
  /** Function types. */
  readonly funcs: FuncType[] = [];
  /** Module types. */
  readonly modules: ModuleType[] = [];
  /** Instance types. */
  readonly instances: InstanceType[] = [];
  /** Effective size of each module type. */
  readonly moduleSizes: number[] = [];
  /** Effective size of each instance type. */
  readonly instanceSizes: number[] = [];

  #keys = new Map<string, number>();

  /**
   * Tables made from stored arrays (an artifact's), whose references and
   * sizes the caller has checked. They are not interned again.
   */
  static restore(
    funcs: FuncType[],
    modules: ModuleType[],
    instances: InstanceType[],
    moduleSizes: number[],
    instanceSizes: number[],
  ): TypeTables {
    const t = new TypeTables();
    // Loops, not push(...list): spreading a huge list overflows the stack.
    for (const f of funcs) t.funcs.push(f);
    for (let i = 0; i < modules.length; i++) {
      t.modules.push(modules[i]);
      t.moduleSizes.push(moduleSizes[i]);
    }
    for (let i = 0; i < instances.length; i++) {
      t.instances.push(instances[i]);
      t.instanceSizes.push(instanceSizes[i]);
    }
    return t;
  }
  #exportMaps: (Map<string, EntityType> | undefined)[] = [];

  /** Interns a function type and returns its index. */
  func(params: readonly ValType[], results: readonly ValType[]): number {
    const key = `f${params.join(",")}:${results.join(",")}`;
    const found = this.#keys.get(key);
    if (found !== undefined) return found;
    const index = this.funcs.push({ params, results }) - 1;
    this.#keys.set(key, index);
    return index;
  }

  /** Interns a module type and returns its index; throws {@linkcode TypeSizeError} if too large. */
  module(type: ModuleType): number {
    const key = `m${namedKey(type.imports)}|${namedKey(type.exports)}`;
    const found = this.#keys.get(key);
    if (found !== undefined) return found;
    const size = this.#sizeOf(1, type.imports, type.exports);
    const index = this.modules.push(type) - 1;
    this.moduleSizes.push(size);
    this.#keys.set(key, index);
    return index;
  }

  /** Interns an instance type and returns its index; throws {@linkcode TypeSizeError} if too large. */
  instance(type: InstanceType): number {
    const key = `i${namedKey(type.exports)}`;
    const found = this.#keys.get(key);
    if (found !== undefined) return found;
    const size = this.#sizeOf(1, type.exports);
    const index = this.instances.push(type) - 1;
    this.instanceSizes.push(size);
    this.#keys.set(key, index);
    return index;
  }

  /** Effective size of an entity type. */
  sizeOf(type: EntityType): number {
    if (type.kind === 5) return this.moduleSizes[type.type];
    if (type.kind === 6) return this.instanceSizes[type.type];
    return 1;
  }

  /** The export `name` of instance type `index`, by name (first one wins). */
  instanceExport(index: number, name: string): EntityType | undefined {
    let map = this.#exportMaps[index];
    if (map === undefined) {
      map = new Map();
      for (const e of this.instances[index].exports) {
        if (!map.has(e.name)) map.set(e.name, e.type);
      }
      this.#exportMaps[index] = map;
    }
    return map.get(name);
  }

  #sizeOf(base: number, ...lists: (readonly NamedType[])[]): number {
    let size = base;
    for (const list of lists) {
      for (const item of list) {
        size += this.sizeOf(item.type);
        // Saturate so that sizes stay finite however deep the chain goes.
        if (size > MAX_TYPE_SIZE) throw new TypeSizeError(size);
      }
    }
    return size;
  }
}

function entityKey(t: EntityType): string {
  switch (t.kind) {
    case 1: {
      const l = t.type.limits;
      return `t${t.type.elem}:${l.min}:${l.max ?? ""}`;
    }
    case 2: {
      const m = t.type;
      return `m${m.limits.min}:${m.limits.max ?? ""}:${m.shared ? 1 : 0}${m.memory64 ? 1 : 0}`;
    }
    case 3:
      return `g${t.type.type}:${t.type.mutable ? 1 : 0}`;
    default:
      return `${t.kind}:${t.type}`;
  }
}

function namedKey(list: readonly NamedType[]): string {
  let key = "";
  // Length-prefixed names cannot run into each other, whatever they contain.
  for (const item of list) key += `${item.name.length}:${item.name}${entityKey(item.type)};`;
  return key;
}
