/**
 * The type tables record: a blob's function, module and instance types, as
 * three lists. Reading them verifies that every reference between them is
 * in range, that they form no cycle, and that no type is larger or nests
 * deeper than {@linkcode TypeTables} would have let the compiler make it.
 *
 * @module
 */

import { Kind, unreachable } from "../../ir.ts";
import { MAX_TYPE_DEPTH, MAX_TYPE_SIZE } from "../../limits.ts";
import {
  type EntityType,
  type FuncType,
  type InstanceType,
  type ModuleType,
  type NamedType,
  referencesTooMuch,
  TypeTables,
} from "../../types.ts";
import type { ArtifactReader } from "../bytes.ts";
import { type Codec, vec } from "../codec.ts";
import { Flags } from "../format.ts";
import { ENTITY, entityFeatures, valTypeFeatures, VALTYPES } from "./entity.ts";

/** Named entity types: the imports of a module type, or exports. */
const NAMED = vec<NamedType>({
  write(w, n) {
    w.string(n.name);
    ENTITY.write(w, n.type);
  },
  read: (r) => ({ name: r.string(), type: ENTITY.read(r) }),
}, "named type");

const FUNC_TYPE: Codec<FuncType> = {
  write(w, f) {
    VALTYPES.write(w, f.params);
    VALTYPES.write(w, f.results);
  },
  read: (r) => ({ params: VALTYPES.read(r), results: VALTYPES.read(r) }),
};

const MODULE_TYPE: Codec<ModuleType> = {
  write(w, m) {
    NAMED.write(w, m.imports);
    NAMED.write(w, m.exports);
  },
  read: (r) => ({ imports: NAMED.read(r), exports: NAMED.read(r) }),
};

const INSTANCE_TYPE: Codec<InstanceType> = {
  write: (w, i) => NAMED.write(w, i.exports),
  read: (r) => ({ exports: NAMED.read(r) }),
};

const FUNC_TYPES = vec(FUNC_TYPE, "func type");
const MODULE_TYPES = vec(MODULE_TYPE, "module type");
const INSTANCE_TYPES = vec(INSTANCE_TYPE, "instance type");

/** A blob's type tables: its function, module and instance types, in that order. */
export const TYPE_TABLES: Codec<TypeTables> = {
  write(w, tables) {
    FUNC_TYPES.write(w, tables.funcs);
    MODULE_TYPES.write(w, tables.modules);
    INSTANCE_TYPES.write(w, tables.instances);
  },
  read(r) {
    const funcs = FUNC_TYPES.read(r);
    const modules = MODULE_TYPES.read(r);
    const instances = INSTANCE_TYPES.read(r);
    for (const m of modules) {
      for (const n of m.imports) checkReference(r, n.type, funcs, modules, instances);
      for (const n of m.exports) checkReference(r, n.type, funcs, modules, instances);
    }
    for (const i of instances) {
      for (const n of i.exports) checkReference(r, n.type, funcs, modules, instances);
    }
    const sizes = typeSizes(r, modules, instances);
    return TypeTables.restore(funcs, modules, instances, sizes.modules, sizes.instances);
  },
};

/** The feature flags (see `Flags`) that a blob's types show it uses. */
export function typeFeatures(tables: TypeTables): number {
  let flags = 0;
  for (const f of tables.funcs) {
    flags |= valTypeFeatures(f.params) | valTypeFeatures(f.results);
    if (f.results.length > 1) flags |= Flags.MultiValue;
  }
  for (const m of tables.modules) flags |= namedFeatures(m.imports) | namedFeatures(m.exports);
  for (const i of tables.instances) flags |= namedFeatures(i.exports);
  return flags;
}

function namedFeatures(list: readonly NamedType[]): number {
  let flags = 0;
  for (const item of list) flags |= entityFeatures(item.type);
  return flags;
}

/** Checks that an entity type's reference into the type lists, if it has one, is in range. */
export function checkReference(
  r: ArtifactReader,
  t: EntityType,
  funcs: readonly FuncType[],
  modules: readonly ModuleType[],
  instances: readonly InstanceType[],
): void {
  let length: number;
  switch (t.kind) {
    case Kind.Func:
      length = funcs.length;
      break;
    case Kind.Tag:
      // An exception's values: a func type without results.
      if (t.type < funcs.length && funcs[t.type].results.length > 0) {
        r.fail(`tag type ${t.type} has results`);
      }
      length = funcs.length;
      break;
    case Kind.Module:
      length = modules.length;
      break;
    case Kind.Instance:
      length = instances.length;
      break;
    case Kind.Table:
    case Kind.Memory:
    case Kind.Global:
      return;
    default:
      return unreachable(t, "entity type");
  }
  if (t.type >= length) r.fail(`type reference ${t.type} out of range`);
}

/**
 * Effective sizes of module and instance types, computed without recursion,
 * under the rules {@linkcode TypeTables} enforces on the types it interns: a
 * reference cycle, a type that references more than `MAX_TYPE_SIZE` or one
 * that nests more than `MAX_TYPE_DEPTH` deep is an error.
 */
function typeSizes(
  r: ArtifactReader,
  modules: readonly ModuleType[],
  instances: readonly InstanceType[],
): { modules: number[]; instances: number[] } {
  // Two spaces of types that nest: 0 for module types, 1 for instance types.
  const sizes = [
    new Array<number>(modules.length).fill(-1),
    new Array<number>(instances.length).fill(-1),
  ];
  // How deep each type nests: 1 for one that references no module or instance type.
  const depths = [new Int32Array(modules.length), new Int32Array(instances.length)];
  const members = (space: number, i: number) =>
    space === 0 ? [...modules[i].imports, ...modules[i].exports] : instances[i].exports;
  const onStack = [
    new Uint8Array(modules.length),
    new Uint8Array(instances.length),
  ];
  const tooDeep = () =>
    r.fail(`type is too deep: module and instance types nest more than ${MAX_TYPE_DEPTH} deep`);
  for (let space = 0; space < 2; space++) {
    for (let start = 0; start < sizes[space].length; start++) {
      if (sizes[space][start] >= 0) continue;
      const stack: {
        space: number;
        index: number;
        next: number;
        list: readonly NamedType[];
      }[] = [
        { space, index: start, next: 0, list: members(space, start) },
      ];
      onStack[space][start] = 1;
      while (stack.length > 0) {
        const top = stack[stack.length - 1];
        if (top.next < top.list.length) {
          const t = top.list[top.next++].type;
          if (t.kind !== Kind.Module && t.kind !== Kind.Instance) continue;
          const s = t.kind === Kind.Module ? 0 : 1;
          if (sizes[s][t.type] >= 0) continue;
          if (onStack[s][t.type]) r.fail("type references form a cycle");
          // Each type on the stack nests the one above it.
          if (stack.length >= MAX_TYPE_DEPTH) tooDeep();
          onStack[s][t.type] = 1;
          stack.push({
            space: s,
            index: t.type,
            next: 0,
            list: members(s, t.type),
          });
          continue;
        }
        let size = 1;
        let deepest = 0;
        for (const item of top.list) {
          const t = item.type;
          if (t.kind !== Kind.Module && t.kind !== Kind.Instance) {
            size += 1;
            continue;
          }
          const s = t.kind === Kind.Module ? 0 : 1;
          size += sizes[s][t.type];
          if (depths[s][t.type] > deepest) deepest = depths[s][t.type];
        }
        if (referencesTooMuch(size, top.list.length)) {
          r.fail(
            `type is too large: what its members reference exceeds ${MAX_TYPE_SIZE}, counted as if expanded`,
          );
        }
        if (deepest >= MAX_TYPE_DEPTH) tooDeep();
        sizes[top.space][top.index] = size;
        depths[top.space][top.index] = deepest + 1;
        onStack[top.space][top.index] = 0;
        stack.pop();
      }
    }
  }
  return { modules: sizes[0], instances: sizes[1] };
}
