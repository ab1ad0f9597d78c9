/**
 * Entity, module and instance types, the {@linkcode TypeTables} that store
 * them canonically for a compiled blob, and the one subtyping check that
 * serves both validation and run-time linking.
 *
 * @module
 */

import {
  type CoreKind,
  type GlobalType,
  isCoreKind,
  Kind,
  type MemoryType,
  type TableType,
  unreachable,
  type ValType,
} from "./ir.ts";
import { MAX_TYPE_DEPTH, MAX_TYPE_SIZE } from "./limits.ts";

/** A function type. */
export interface FuncType {
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
}

/**
 * The type of an entity. For func and tag, module and instance, `type`
 * indexes {@linkcode TypeTables.funcs}, `.modules` or `.instances` of the
 * tables it belongs to; table, memory and global types are inline.
 */
export type EntityType =
  | { readonly kind: typeof Kind.Func; readonly type: number }
  | { readonly kind: typeof Kind.Table; readonly type: TableType }
  | { readonly kind: typeof Kind.Memory; readonly type: MemoryType }
  | { readonly kind: typeof Kind.Global; readonly type: GlobalType }
  /** A tag: `type` indexes `funcs`, the types of its values (no results). */
  | { readonly kind: typeof Kind.Tag; readonly type: number }
  | { readonly kind: typeof Kind.Module; readonly type: number }
  | { readonly kind: typeof Kind.Instance; readonly type: number };

/** The type of a func, table, memory, global or tag: what a core module imports and exports. */
export type CoreEntityType = Extract<EntityType, { readonly kind: CoreKind }>;

/**
 * Whether `type` is a func, table, memory, global or tag type, rather than a
 * module or instance type.
 *
 * @example
 * ```ts
 * import { isCoreEntityType } from "./types.ts";
 * import { Kind } from "./ir.ts";
 * isCoreEntityType({ kind: Kind.Func, type: 0 }); // true
 * isCoreEntityType({ kind: Kind.Instance, type: 0 }); // false
 * ```
 */
export function isCoreEntityType(type: EntityType): type is CoreEntityType {
  return isCoreKind(type.kind);
}

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

/**
 * Thrown by {@linkcode TypeTables} when a new type passes
 * {@linkcode MAX_TYPE_SIZE} or {@linkcode MAX_TYPE_DEPTH}. `member` is the
 * index of the member (imports first, then exports) that took it past.
 */
export class TypeSizeError extends Error {
  /** The member that crossed the limit, counting imports then exports. */
  readonly member: number;

  /** Makes the error; `message` says which limit. */
  constructor(message: string, member: number) {
    super(message);
    this.name = "TypeSizeError";
    this.member = member;
  }
}

/**
 * Whether a module or instance type of effective size `size` with `members`
 * members of its own references more than {@linkcode MAX_TYPE_SIZE}: the rule
 * {@linkcode TypeTables} enforces on new types, for readers of stored ones.
 *
 * @example
 * ```ts
 * import { referencesTooMuch } from "./types.ts";
 * referencesTooMuch(100_001, 100_000); // false: 100,000 funcs of its own
 * referencesTooMuch(200_003, 2); // true: two instances of 100,000 funcs each
 * ```
 */
export function referencesTooMuch(size: number, members: number): boolean {
  return size - 1 - members > MAX_TYPE_SIZE;
}

/**
 * Canonical store of the func, module and instance types of one compiled
 * blob. Structurally equal types are interned to one index, so equal
 * indices in the same tables mean equal types. A type only refers to types
 * interned before it, so the types form no cycle.
 */
export class TypeTables {
  /** Function types. */
  readonly funcs: FuncType[] = [];
  /** Module types. */
  readonly modules: ModuleType[] = [];
  /** Instance types. */
  readonly instances: InstanceType[] = [];
  /** Effective size of each module type (see {@linkcode MAX_TYPE_SIZE}). */
  readonly moduleSizes: number[] = [];
  /** Effective size of each instance type. */
  readonly instanceSizes: number[] = [];

  #keys = new Map<string, number>();
  // How deep each module and instance type nests (1 for one without any).
  // Only interning needs them; restored tables are never interned into.
  #moduleDepths: number[] = [];
  #instanceDepths: number[] = [];
  #exportMaps: (Map<string, EntityType> | undefined)[] = [];
  #moduleImportMaps: (Map<string, EntityType> | undefined)[] = [];
  #moduleExportMaps: (Map<string, EntityType> | undefined)[] = [];
  #instanceOfModule: number[] = [];

  /**
   * Tables made from stored arrays (an artifact's), whose references, sizes
   * and depths the caller has checked: no cycle, no type that
   * {@linkcode referencesTooMuch} or nests past {@linkcode MAX_TYPE_DEPTH}.
   * They are not interned again, nor interned into.
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

  /** Interns a function type and returns its index. */
  func(params: readonly ValType[], results: readonly ValType[]): number {
    const key = `f${params.join(",")}:${results.join(",")}`;
    const found = this.#keys.get(key);
    if (found !== undefined) return found;
    const index = this.funcs.push({ params, results }) - 1;
    this.#keys.set(key, index);
    return index;
  }

  /**
   * Interns a module type and returns its index.
   *
   * @throws {TypeSizeError} when it is too large or too deep.
   */
  module(type: ModuleType): number {
    const key = `m${namedKey(type.imports)}|${namedKey(type.exports)}`;
    const found = this.#keys.get(key);
    if (found !== undefined) return found;
    const { size, depth } = this.#measure(type.imports, type.exports);
    const index = this.modules.push(type) - 1;
    this.moduleSizes.push(size);
    this.#moduleDepths.push(depth);
    this.#keys.set(key, index);
    return index;
  }

  /**
   * Interns an instance type and returns its index.
   *
   * @throws {TypeSizeError} when it is too large or too deep.
   */
  instance(type: InstanceType): number {
    const key = `i${namedKey(type.exports)}`;
    const found = this.#keys.get(key);
    if (found !== undefined) return found;
    const { size, depth } = this.#measure([], type.exports);
    const index = this.instances.push(type) - 1;
    this.instanceSizes.push(size);
    this.#instanceDepths.push(depth);
    this.#keys.set(key, index);
    return index;
  }

  /**
   * The instance type of an instance of module type `index`: its exports.
   * Interned once per module type, however many instances it has.
   */
  instanceOf(index: number): number {
    let found = this.#instanceOfModule[index];
    if (found === undefined) {
      found = this.instance({ exports: this.modules[index].exports });
      this.#instanceOfModule[index] = found;
    }
    return found;
  }

  /** Effective size of an entity type. */
  sizeOf(type: EntityType): number {
    if (type.kind === Kind.Module) return this.moduleSizes[type.type];
    if (type.kind === Kind.Instance) return this.instanceSizes[type.type];
    return 1;
  }

  /** The export `name` of instance type `index`, by name (first one wins). */
  instanceExport(index: number, name: string): EntityType | undefined {
    return lookup(this.#exportMaps, index, this.instances[index].exports, name);
  }

  /** The import `name` of module type `index`, by name (first one wins). */
  moduleImport(index: number, name: string): EntityType | undefined {
    return lookup(this.#moduleImportMaps, index, this.modules[index].imports, name);
  }

  /** The export `name` of module type `index`, by name (first one wins). */
  moduleExport(index: number, name: string): EntityType | undefined {
    return lookup(this.#moduleExportMaps, index, this.modules[index].exports, name);
  }

  /**
   * Effective size and depth of a new type with these members, checked
   * against {@linkcode MAX_TYPE_SIZE} and {@linkcode MAX_TYPE_DEPTH}.
   */
  #measure(
    imports: readonly NamedType[],
    exports: readonly NamedType[],
  ): { size: number; depth: number } {
    // What the members reference, beyond the members themselves.
    let referenced = 0;
    let deepest = 0;
    const count = imports.length + exports.length;
    const member = (i: number) =>
      i < imports.length
        ? `import ${JSON.stringify(imports[i].name)}`
        : `export ${JSON.stringify(exports[i - imports.length].name)}`;
    for (let i = 0; i < count; i++) {
      const t = i < imports.length ? imports[i].type : exports[i - imports.length].type;
      if (isCoreEntityType(t)) continue;
      referenced += this.sizeOf(t) - 1;
      if (referenced > MAX_TYPE_SIZE) {
        throw new TypeSizeError(
          `type is too large: its effective size exceeds ${MAX_TYPE_SIZE} at ${
            member(i)
          } (what its members reference, counted as if expanded)`,
          i,
        );
      }
      const depth = t.kind === Kind.Module
        ? this.#moduleDepths[t.type]
        : this.#instanceDepths[t.type];
      if (depth > deepest) deepest = depth;
      if (deepest >= MAX_TYPE_DEPTH) {
        throw new TypeSizeError(
          `type is too deep: ${
            member(i)
          } nests module and instance types more than ${MAX_TYPE_DEPTH} deep`,
          i,
        );
      }
    }
    return { size: 1 + count + referenced, depth: deepest + 1 };
  }
}

/**
 * Looks `name` up in `list`: short lists by a scan, long ones through a map
 * made on first use and kept in `maps[index]`.
 */
function lookup(
  maps: (Map<string, EntityType> | undefined)[],
  index: number,
  list: readonly NamedType[],
  name: string,
): EntityType | undefined {
  if (list.length <= 8) {
    for (const e of list) if (e.name === name) return e.type;
    return undefined;
  }
  let map = maps[index];
  if (map === undefined) {
    map = new Map();
    for (const e of list) {
      if (!map.has(e.name)) map.set(e.name, e.type);
    }
    maps[index] = map;
  }
  return map.get(name);
}

/** A key equal for equal entity types, to intern the types that hold them. */
function entityKey(t: EntityType): string {
  switch (t.kind) {
    case Kind.Func:
    case Kind.Tag:
    case Kind.Module:
    case Kind.Instance:
      return `${t.kind}:${t.type}`;
    case Kind.Table: {
      const limits = t.type.limits;
      return `t${t.type.elem}:${limits.min}:${limits.max ?? ""}`;
    }
    case Kind.Memory: {
      const m = t.type;
      return `m${m.limits.min}:${m.limits.max ?? ""}:${m.shared ? 1 : 0}${m.memory64 ? 1 : 0}`;
    }
    case Kind.Global:
      return `g${t.type.type}:${t.type.mutable ? 1 : 0}`;
    default:
      return unreachable(t, "entity type");
  }
}

function namedKey(list: readonly NamedType[]): string {
  let key = "";
  // Length-prefixed names cannot run into each other, whatever they contain.
  for (const item of list) key += `${item.name.length}:${item.name}${entityKey(item.type)};`;
  return key;
}
