/**
 * Structural types the resolver tracks for every item, so that it knows
 * statically what an instance exports (for inline alias sugar and for the
 * core imports it hands to wabt), whatever index space they came from.
 *
 * @module
 */

import type { CompiledBlob } from "../compiled.ts";
import type { GlobalType, MemoryType, ModuleIR, TableType, ValType } from "../ir.ts";
import type { EntityType, NamedType } from "../types.ts";
import { kindName } from "../ir.ts";
import { VAL_TYPE_NAMES } from "./syntax.ts";

/** A function signature. */
export interface FuncSig {
  params: ValType[];
  results: ValType[];
}

/** The type of an entity (anything in an index space other than types). */
export type EntType =
  | { kind: 0; sig: FuncSig }
  | { kind: 1; table: TableType }
  | { kind: 2; memory: MemoryType }
  | { kind: 3; global: GlobalType }
  | { kind: 5; module: ModTy }
  | { kind: 6; instance: InstTy };

/** A module type: its imports (two-level ones kept as such) and exports by name. */
export interface ModTy {
  imports: { module: string; field: string | null; type: EntType }[];
  exports: Map<string, EntType>;
}

/** An instance type: exports by name, in declaration order. */
export interface InstTy {
  exports: Map<string, EntType>;
}

/** What a type index stands for. */
export type TypeShape =
  | { form: "func"; sig: FuncSig }
  | { form: "module"; module: ModTy }
  | { form: "instance"; instance: InstTy };

/** A key equal for equal signatures, to find a matching func type quickly. */
export function sigKey(sig: FuncSig): string {
  return sig.params.join(",") + ">" + sig.results.join(",");
}

/** Whether two signatures are equal. */
export function sameSig(a: FuncSig, b: FuncSig): boolean {
  return sigKey(a) === sigKey(b);
}

/** `a func`, `an instance`, … for a kind number. */
export function aKind(kind: number): string {
  const name = kindName(kind);
  return (/^[aeiou]/.test(name) ? "an " : "a ") + name;
}

export { kindName };

function valTypes(types: ValType[]): string {
  return types.map((t) => VAL_TYPE_NAMES.get(t) ?? "i32").join(" ");
}

/** The text of a signature: ` (param …) (result …)`, each part only when not empty. */
export function sigText(sig: FuncSig): string {
  let text = "";
  if (sig.params.length > 0) text += ` (param ${valTypes(sig.params)})`;
  if (sig.results.length > 0) text += ` (result ${valTypes(sig.results)})`;
  return text;
}

/** The text of a table type after the identifier: ` 1 10 funcref`. */
export function tableText(t: TableType): string {
  const max = t.limits.max !== undefined ? ` ${t.limits.max}` : "";
  return ` ${t.limits.min}${max} ${VAL_TYPE_NAMES.get(t.elem) ?? "funcref"}`;
}

/** The text of a memory type after the identifier: ` i64 1 2 shared`. */
export function memoryText(m: MemoryType): string {
  const max = m.limits.max !== undefined ? ` ${m.limits.max}` : "";
  return `${m.memory64 ? " i64" : ""} ${m.limits.min}${max}${m.shared ? " shared" : ""}`;
}

/** The text of a global type after the identifier: ` (mut i32)`. */
export function globalText(g: GlobalType): string {
  const t = VAL_TYPE_NAMES.get(g.type) ?? "i32";
  return g.mutable ? ` (mut ${t})` : ` ${t}`;
}

/**
 * The type of a core module from its binary IR (as wabt produced it): its
 * imports and the types of its exports.
 */
export function coreModuleType(ir: ModuleIR): ModTy {
  const sigs: FuncSig[] = [];
  const spaces: EntType[][] = [[], [], [], []];
  const imports: ModTy["imports"] = [];
  const exports = new Map<string, EntType>();
  const sig = (index: number): FuncSig => sigs[index] ?? { params: [], results: [] };
  for (const s of ir.sections) {
    switch (s.id) {
      case 1:
        for (const t of s.types) {
          sigs.push(
            t.form === "func" ? { params: t.params, results: t.results } : {
              params: [],
              results: [],
            },
          );
        }
        break;
      case 2:
        for (const imp of s.imports) {
          const d = imp.desc;
          const type: EntType = d.kind === 0
            ? { kind: 0, sig: sig(d.type) }
            : d.kind === 1
            ? { kind: 1, table: d.type }
            : d.kind === 2
            ? { kind: 2, memory: d.type }
            : d.kind === 3
            ? { kind: 3, global: d.type }
            : { kind: 0, sig: { params: [], results: [] } };
          imports.push({ module: imp.module, field: imp.field, type });
          if (type.kind <= 3) spaces[type.kind].push(type);
        }
        break;
      case 3:
        for (const t of s.funcs) spaces[0].push({ kind: 0, sig: sig(t) });
        break;
      case 4:
        for (const table of s.tables) spaces[1].push({ kind: 1, table });
        break;
      case 5:
        for (const memory of s.memories) spaces[2].push({ kind: 2, memory });
        break;
      case 6:
        for (const g of s.globals) spaces[3].push({ kind: 3, global: g.type });
        break;
      case 7:
        for (const e of s.exports) {
          const type = e.kind <= 3 ? spaces[e.kind][e.index] : undefined;
          if (type !== undefined) exports.set(e.name, type);
        }
        break;
    }
  }
  return { imports, exports };
}

/**
 * The type of the top-level module of a compiled blob, in the resolver's
 * vocabulary. Imports keep their two-level names, as the binary writes them;
 * module and instance types shared in the tables stay shared here.
 */
export function compiledModuleType(blob: CompiledBlob): ModTy {
  const { types } = blob;
  const modules = new Map<number, ModTy>();
  const instances = new Map<number, InstTy>();
  const named = (list: readonly NamedType[]) => {
    const map = new Map<string, EntType>();
    for (const n of list) map.set(n.name, entity(n.type));
    return map;
  };
  const moduleType = (index: number): ModTy => {
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
  const instanceType = (index: number): InstTy => {
    let i = instances.get(index);
    if (i === undefined) {
      i = { exports: named(types.instances[index].exports) };
      instances.set(index, i);
    }
    return i;
  };
  const entity = (t: EntityType): EntType => {
    switch (t.kind) {
      case 0: {
        const f = types.funcs[t.type];
        return { kind: 0, sig: { params: [...f.params], results: [...f.results] } };
      }
      case 1:
        return { kind: 1, table: t.type };
      case 2:
        return { kind: 2, memory: t.type };
      case 3:
        return { kind: 3, global: t.type };
      case 5:
        return { kind: 5, module: moduleType(t.type) };
      case 6:
        return { kind: 6, instance: instanceType(t.type) };
      default: {
        const _: never = t;
        throw new Error("unreachable");
      }
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
