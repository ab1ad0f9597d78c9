/**
 * Writes the linked module as IR: the host imports, every input nested as
 * a module, their instances in dependency order (each reactor followed by
 * an instance whose start function calls its `_initialize`), the main
 * instance last, and the main instance's exports re-exported.
 *
 * @module
 */

import type {
  Alias,
  EntityKind,
  Export,
  Import,
  ImportDesc,
  InstanceArg,
  InstanceDef,
  ModuleIR,
  Section,
  TypeDef,
} from "../ir.ts";
import { moduleNameOf, nameSection } from "../binary/names.ts";
import type { EntityType, TypeTables } from "../types.ts";
import { withModuleName } from "./names.ts";
import { INITIALIZE, type LinkPlan } from "./plan.ts";
import type { LinkUnit } from "./unit.ts";

/** Module name of the generated module that calls a reactor's `_initialize`. */
export const INITIALIZER_NAME = "initialize";
/** The name it imports the reactor's instance by. */
const REACTOR = "reactor";
/** Module name given to a main module that has none. */
export const MAIN_NAME = "main";

/** An item of the output's index spaces. */
interface Item {
  readonly kind: EntityKind;
  readonly index: number;
}

/**
 * Builds the linked module from a plan. `modules` are the linked modules in
 * the order given, which is also the order they are nested in. `name`, if
 * given, names the output itself.
 */
export function emitLinked(
  main: LinkUnit,
  modules: readonly LinkUnit[],
  plan: LinkPlan,
  name?: string,
): ModuleIR {
  const types = new OutTypes();
  const spaces = new IndexSpaces();

  // Imports. Two-level imports of one name, written together, make one
  // implicit instance import, which takes its instance index first.
  const imports: Import[] = [];
  const host = new Map<string, Item>();
  for (const h of plan.host) {
    if (h.form === "single") {
      const desc = types.desc(h.item.tables, h.item.type);
      imports.push({ module: h.name, field: null, desc });
      host.set(h.name, spaces.take(desc.kind));
    } else if (h.fields.size === 0) {
      // Nothing to write as a two-level import: an empty instance type.
      const type = types.def({ form: "instance", exports: [] });
      imports.push({ module: h.name, field: null, desc: { kind: 6, type } });
      host.set(h.name, spaces.take(6));
    } else {
      host.set(h.name, spaces.take(6));
      for (const [field, t] of h.fields) {
        const desc = types.desc(t.tables, t.type);
        imports.push({ module: h.name, field, desc });
        spaces.take(desc.kind);
      }
    }
  }

  const nested: ModuleIR[] = [];
  const moduleOf = new Map<LinkUnit, Item>();
  for (const unit of [...modules, main]) {
    nested.push(withModuleName(unit.ir, unit.name ?? moduleNameOf(unit.ir) ?? MAIN_NAME));
    moduleOf.set(unit, spaces.take(5));
  }
  let initializer: Item | undefined;
  if (plan.reactors.size > 0) {
    nested.push(initializerModule());
    initializer = spaces.take(5);
  }

  const byName = new Map(modules.map((m) => [m.name!, m]));
  const instanceOf = new Map<LinkUnit, Item>();
  const instances: InstanceDef[] = [];
  const argument = (name: string, kind: EntityKind): InstanceArg => {
    const linked = byName.get(name);
    // The plan checked that a linked module is imported as an instance or a module.
    const item = linked === undefined
      ? host.get(name)!
      : (kind === 5 ? moduleOf : instanceOf).get(linked)!;
    return { name, kind: item.kind, index: item.index };
  };
  const instantiate = (unit: LinkUnit): Item => {
    const args = unit.type.imports.map((i) => argument(i.name, i.type.kind));
    instances.push({ module: moduleOf.get(unit)!.index, args });
    const item = spaces.take(6);
    instanceOf.set(unit, item);
    return item;
  };
  for (const unit of plan.order) {
    const instance = instantiate(unit);
    if (plan.reactors.has(unit)) {
      instances.push({
        module: initializer!.index,
        args: [{ name: REACTOR, kind: 6, index: instance.index }],
      });
      spaces.take(6);
    }
  }
  const mainInstance = instantiate(main);

  const aliases: Alias[] = [];
  const exports: Export[] = [];
  for (const e of main.type.exports) {
    const kind = e.type.kind;
    aliases.push({ form: "instanceExport", instance: mainInstance.index, kind, name: e.name });
    exports.push({ name: e.name, kind, index: spaces.take(kind).index });
  }

  const sections: Section[] = [];
  if (types.defs.length > 0) sections.push({ id: 1, types: types.defs });
  if (imports.length > 0) sections.push({ id: 2, imports });
  sections.push({ id: 14, modules: nested });
  sections.push({ id: 15, instances });
  if (aliases.length > 0) sections.push({ id: 16, aliases });
  if (exports.length > 0) sections.push({ id: 7, exports });
  if (name !== undefined) sections.push(nameSection(name));
  return { sections };
}

/** `(module (import "reactor" "_initialize" (func $init)) (start $init))`. */
function initializerModule(): ModuleIR {
  return {
    sections: [
      { id: 1, types: [{ form: "func", params: [], results: [] }] },
      { id: 2, imports: [{ module: REACTOR, field: INITIALIZE, desc: { kind: 0, type: 0 } }] },
      { id: 8, func: 0 },
      nameSection(INITIALIZER_NAME),
    ],
  };
}

/** Counts the output's index spaces as items are added to them, in binary order. */
class IndexSpaces {
  readonly #next = [0, 0, 0, 0, 0, 0, 0];

  take(kind: EntityKind): Item {
    return { kind, index: this.#next[kind]++ };
  }
}

/**
 * The output's type section: types of the inputs' tables written as type
 * definitions, each distinct definition once. Types that module and
 * instance types refer to are defined before them.
 */
class OutTypes {
  readonly defs: TypeDef[] = [];
  readonly #byKey = new Map<string, number>();
  // Per input's tables: func/module/instance type index there → index here.
  readonly #done = new Map<TypeTables, Map<string, number>>();

  def(t: TypeDef): number {
    const key = JSON.stringify(t);
    let index = this.#byKey.get(key);
    if (index === undefined) {
      index = this.defs.push(t) - 1;
      this.#byKey.set(key, index);
    }
    return index;
  }

  desc(tables: TypeTables, type: EntityType): ImportDesc {
    if (type.kind === 1 || type.kind === 2 || type.kind === 3) return type;
    let done = this.#done.get(tables);
    if (done === undefined) this.#done.set(tables, done = new Map());
    const key = `${type.kind}:${type.type}`;
    let index = done.get(key);
    if (index === undefined) {
      index = this.def(this.#typeDef(tables, type));
      done.set(key, index);
    }
    return { kind: type.kind, type: index };
  }

  #typeDef(tables: TypeTables, type: EntityType & { kind: 0 | 5 | 6 }): TypeDef {
    const exportsOf = (list: typeof tables.instances[number]["exports"]) =>
      list.map((e) => ({ name: e.name, desc: this.desc(tables, e.type) }));
    switch (type.kind) {
      case 0: {
        const f = tables.funcs[type.type];
        return { form: "func", params: [...f.params], results: [...f.results] };
      }
      case 5: {
        const m = tables.modules[type.type];
        const imports: Import[] = m.imports.map((i) => ({
          module: i.name,
          field: null,
          desc: this.desc(tables, i.type),
        }));
        return { form: "module", imports, exports: exportsOf(m.exports) };
      }
      case 6:
        return { form: "instance", exports: exportsOf(tables.instances[type.type].exports) };
      default: {
        const _: never = type;
        throw new TypeError(`not a func, module or instance type: ${_}`);
      }
    }
  }
}
