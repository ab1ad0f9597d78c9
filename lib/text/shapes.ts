/**
 * The resolver's types, called shapes. A shape holds the types of its
 * members themselves, and an instance's may still grow while its module is
 * resolved (an implicit instance gains an export with each two-level
 * import). That tells them from lib/types.ts's types, which are interned in
 * `TypeTables` and refer to each other by index. The resolver knows the
 * shape of every item, so that it knows statically what an instance exports
 * (for inline alias sugar and for the core imports it hands to wabt),
 * whatever index space the item came from.
 *
 * @module
 */

import type { CompiledBlob } from "../compiled.ts";
import {
  type CoreKind,
  type GlobalType,
  type ImportDesc,
  isCoreKind,
  Kind,
  type MemoryType,
  type ModuleIR,
  SectionId,
  type TableType,
  unreachable,
} from "../ir.ts";
import type { EntityType, FuncType, NamedType } from "../types.ts";
import { perCoreKind } from "./kinds.ts";

/** The shape of an entity (anything in an index space other than types). */
export type EntityShape =
  | { kind: typeof Kind.Func; func: FuncType }
  | { kind: typeof Kind.Table; table: TableType }
  | { kind: typeof Kind.Memory; memory: MemoryType }
  | { kind: typeof Kind.Global; global: GlobalType }
  /** A tag: the type of the values it carries, a function type without results. */
  | { kind: typeof Kind.Tag; tag: FuncType }
  | { kind: typeof Kind.Module; module: ModuleShape }
  | { kind: typeof Kind.Instance; instance: InstanceShape };

/** The shape of a func, table, memory, global or tag: what a core module has. */
export type CoreEntityShape = Extract<EntityShape, { kind: CoreKind }>;

/** A module's shape: its imports (two-level ones kept as such) and its exports by name. */
export interface ModuleShape {
  /** Imports in binary order. */
  imports: { module: string; field: string | null; type: EntityShape }[];
  /** Exports by name. */
  exports: Map<string, EntityShape>;
}

/** An instance's shape: its exports by name, in declaration order. */
export interface InstanceShape {
  /** Exports by name; an implicit instance's grow with each two-level import. */
  exports: Map<string, EntityShape>;
}

/** What a type index stands for. */
export type TypeShape =
  | { form: "func"; func: FuncType }
  | { form: "module"; module: ModuleShape }
  | { form: "instance"; instance: InstanceShape };

/** The function type of anything that has none: `(func)`. */
const NO_FUNC_TYPE: FuncType = { params: [], results: [] };

/** A key equal for equal function types, to find a matching one quickly. */
export function funcTypeKey(type: FuncType): string {
  return type.params.join(",") + ">" + type.results.join(",");
}

/** Whether two function types are equal. */
export function sameFuncType(a: FuncType, b: FuncType): boolean {
  return funcTypeKey(a) === funcTypeKey(b);
}

/**
 * The shape of a core module from its binary IR (as wabt produced it): its
 * imports and the shapes of its exports.
 */
export function coreModuleShape(ir: ModuleIR): ModuleShape {
  const funcTypes: FuncType[] = [];
  const spaces = perCoreKind((): EntityShape[] => []);
  const imports: ModuleShape["imports"] = [];
  const exports = new Map<string, EntityShape>();
  const funcType = (index: number): FuncType => funcTypes[index] ?? NO_FUNC_TYPE;
  for (const s of ir.sections) {
    switch (s.id) {
      case SectionId.Type:
        for (const t of s.types) {
          funcTypes.push(
            t.form === "func" ? { params: t.params, results: t.results } : NO_FUNC_TYPE,
          );
        }
        break;
      case SectionId.Import:
        for (const imp of s.imports) {
          const type = coreImportShape(imp.desc, funcType);
          imports.push({ module: imp.module, field: imp.field, type });
          spaces[type.kind].push(type);
        }
        break;
      case SectionId.Function:
        for (const t of s.funcs) spaces[Kind.Func].push({ kind: Kind.Func, func: funcType(t) });
        break;
      case SectionId.Table:
        for (const table of s.tables) spaces[Kind.Table].push({ kind: Kind.Table, table });
        break;
      case SectionId.Memory:
        for (const memory of s.memories) spaces[Kind.Memory].push({ kind: Kind.Memory, memory });
        break;
      case SectionId.Global:
        for (const g of s.globals) spaces[Kind.Global].push({ kind: Kind.Global, global: g.type });
        break;
      case SectionId.Tag:
        for (const t of s.tags) spaces[Kind.Tag].push({ kind: Kind.Tag, tag: funcType(t) });
        break;
      case SectionId.Export:
        for (const e of s.exports) {
          const type = isCoreKind(e.kind) ? spaces[e.kind][e.index] : undefined;
          if (type !== undefined) exports.set(e.name, type);
        }
        break;
    }
  }
  return { imports, exports };
}

/** The shape of a core module's import; `funcType` gives the type of a type index. */
function coreImportShape(
  desc: ImportDesc,
  funcType: (index: number) => FuncType,
): CoreEntityShape {
  switch (desc.kind) {
    case Kind.Func:
      return { kind: Kind.Func, func: funcType(desc.type) };
    case Kind.Table:
      return { kind: Kind.Table, table: desc.type };
    case Kind.Memory:
      return { kind: Kind.Memory, memory: desc.type };
    case Kind.Global:
      return { kind: Kind.Global, global: desc.type };
    case Kind.Tag:
      return { kind: Kind.Tag, tag: funcType(desc.type) };
    case Kind.Module:
    case Kind.Instance:
      // A core module imports neither; wabt writes none.
      return { kind: Kind.Func, func: NO_FUNC_TYPE };
    default:
      return unreachable(desc, "import kind");
  }
}

/**
 * The shape of the top-level module of a compiled blob. Imports keep their
 * two-level names, as the binary writes them; module and instance types
 * shared in the tables are shared shapes here.
 */
export function compiledModuleShape(blob: CompiledBlob): ModuleShape {
  const { types } = blob;
  const modules = new Map<number, ModuleShape>();
  const instances = new Map<number, InstanceShape>();
  const named = (list: readonly NamedType[]) => {
    const map = new Map<string, EntityShape>();
    for (const n of list) map.set(n.name, entity(n.type));
    return map;
  };
  const moduleShape = (index: number): ModuleShape => {
    let m = modules.get(index);
    if (m === undefined) {
      const t = types.modules[index];
      m = {
        // The tables gather two-level imports into instance imports.
        imports: t.imports.map((n) => ({ module: n.name, field: null, type: entity(n.type) })),
        exports: named(t.exports),
      };
      modules.set(index, m);
    }
    return m;
  };
  const instanceShape = (index: number): InstanceShape => {
    let i = instances.get(index);
    if (i === undefined) {
      i = { exports: named(types.instances[index].exports) };
      instances.set(index, i);
    }
    return i;
  };
  const entity = (t: EntityType): EntityShape => {
    switch (t.kind) {
      case Kind.Func:
        return { kind: Kind.Func, func: types.funcs[t.type] };
      case Kind.Table:
        return { kind: Kind.Table, table: t.type };
      case Kind.Memory:
        return { kind: Kind.Memory, memory: t.type };
      case Kind.Global:
        return { kind: Kind.Global, global: t.type };
      case Kind.Tag:
        return { kind: Kind.Tag, tag: types.funcs[t.type] };
      case Kind.Module:
        return { kind: Kind.Module, module: moduleShape(t.type) };
      case Kind.Instance:
        return { kind: Kind.Instance, instance: instanceShape(t.type) };
      default:
        return unreachable(t, "entity kind");
    }
  };
  const root = blob.modules[blob.root];
  return {
    imports: root.imports.map((imp) => ({
      module: imp.module,
      field: imp.field,
      type: entity(imp.type),
    })),
    exports: named(types.modules[root.type].exports),
  };
}
