/**
 * Writes the linked module as IR: the host imports, every input nested as
 * a module, their instances in dependency order (each reactor followed by
 * an instance whose start function calls its `_initialize`), the main
 * instance last, and the main instance's exports re-exported.
 *
 * @module
 */

import {
  type Alias,
  type EntityKind,
  type Export,
  type Import,
  type ImportDesc,
  type InstanceArg,
  type InstanceDef,
  Kind,
  type ModuleIR,
  type Section,
  SectionId,
  type TypeDef,
  unreachable,
} from "../ir.ts";
import { moduleNameOf, nameSection } from "../binary/names.ts";
import type { EntityType, TypeTables } from "../types.ts";
import { withModuleName } from "./names.ts";
import { type HostImport, INITIALIZE, type LinkPlan } from "./plan.ts";
import type { LinkUnit } from "./unit.ts";

/** Module name of the generated module that calls a reactor's `_initialize`. */
const INITIALIZER_NAME = "initialize";
/** The name it imports the reactor's instance by. */
const REACTOR = "reactor";
/** Module name given to a main module that has none. */
const MAIN_NAME = "main";

/** An item of the output's index spaces. */
interface Item {
  readonly kind: EntityKind;
  readonly index: number;
}

/** The nested modules of the output, and where they are in its module index space. */
interface Nested {
  readonly modules: ModuleIR[];
  /** Each input's module. */
  readonly moduleOf: ReadonlyMap<LinkUnit, Item>;
  /** The module that initializes a reactor, when a linked module is one. */
  readonly initializer?: Item;
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
  // Items take their indices in binary order: imports, modules, instances, aliases.
  const types = new OutputTypes();
  const spaces = new IndexSpaces();
  const { imports, hostItems } = writeHostImports(plan.host, types, spaces);
  const nested = nestModules(main, modules, plan.reactors.size > 0, spaces);
  const { instances, mainInstance } = writeInstances(main, modules, plan, {
    hostItems,
    nested,
    spaces,
  });
  const aliases: Alias[] = [];
  const exports: Export[] = [];
  for (const e of main.type.exports) {
    const kind = e.type.kind;
    aliases.push({ form: "instanceExport", instance: mainInstance.index, kind, name: e.name });
    exports.push({ name: e.name, kind, index: spaces.take(kind).index });
  }

  const sections: Section[] = [];
  if (types.defs.length > 0) sections.push({ id: SectionId.Type, types: types.defs });
  if (imports.length > 0) sections.push({ id: SectionId.Import, imports });
  sections.push({ id: SectionId.Module, modules: nested.modules });
  sections.push({ id: SectionId.Instance, instances });
  if (aliases.length > 0) sections.push({ id: SectionId.Alias, aliases });
  if (exports.length > 0) sections.push({ id: SectionId.Export, exports });
  if (name !== undefined) sections.push(nameSection(name));
  return { sections };
}

/**
 * The output's imports, and the item each host import's name stands for.
 * Two-level imports of one name, written together, make one implicit
 * instance import, which takes its instance index first.
 */
function writeHostImports(
  host: readonly HostImport[],
  types: OutputTypes,
  spaces: IndexSpaces,
): { imports: Import[]; hostItems: Map<string, Item> } {
  const imports: Import[] = [];
  const hostItems = new Map<string, Item>();
  for (const hostImport of host) {
    if (hostImport.form === "single") {
      const desc = types.importDesc(hostImport.item.tables, hostImport.item.type);
      imports.push({ module: hostImport.name, field: null, desc });
      hostItems.set(hostImport.name, spaces.take(desc.kind));
    } else if (hostImport.fields.size === 0) {
      // Nothing to write as a two-level import: an empty instance type.
      const type = types.define({ form: "instance", exports: [] });
      imports.push({ module: hostImport.name, field: null, desc: { kind: Kind.Instance, type } });
      hostItems.set(hostImport.name, spaces.take(Kind.Instance));
    } else {
      hostItems.set(hostImport.name, spaces.take(Kind.Instance));
      for (const [field, typed] of hostImport.fields) {
        const desc = types.importDesc(typed.tables, typed.type);
        imports.push({ module: hostImport.name, field, desc });
        spaces.take(desc.kind);
      }
    }
  }
  return { imports, hostItems };
}

/**
 * Every input nested as it is, the linked modules in the order given and
 * the main module last, each named; then the module that initializes
 * reactors, if there are any.
 */
function nestModules(
  main: LinkUnit,
  modules: readonly LinkUnit[],
  hasReactors: boolean,
  spaces: IndexSpaces,
): Nested {
  const nested: ModuleIR[] = [];
  const moduleOf = new Map<LinkUnit, Item>();
  for (const unit of [...modules, main]) {
    nested.push(withModuleName(unit.ir, unit.name ?? moduleNameOf(unit.ir) ?? MAIN_NAME));
    moduleOf.set(unit, spaces.take(Kind.Module));
  }
  if (!hasReactors) return { modules: nested, moduleOf };
  nested.push(initializerModule());
  return { modules: nested, moduleOf, initializer: spaces.take(Kind.Module) };
}

/**
 * The instances: each linked module in the plan's order (a reactor's
 * followed by the instance of the initializer module that calls its
 * `_initialize`), then the main module's.
 */
function writeInstances(
  main: LinkUnit,
  modules: readonly LinkUnit[],
  plan: LinkPlan,
  { hostItems, nested, spaces }: {
    hostItems: ReadonlyMap<string, Item>;
    nested: Nested;
    spaces: IndexSpaces;
  },
): { instances: InstanceDef[]; mainInstance: Item } {
  const byName = new Map(modules.map((m) => [m.name!, m]));
  const instanceOf = new Map<LinkUnit, Item>();
  const instances: InstanceDef[] = [];
  const argument = (name: string, kind: EntityKind): InstanceArg => {
    const linked = byName.get(name);
    // The plan checked that a linked module is imported as an instance or a module.
    const item = linked === undefined
      ? hostItems.get(name)!
      : (kind === Kind.Module ? nested.moduleOf : instanceOf).get(linked)!;
    return { name, kind: item.kind, index: item.index };
  };
  const instantiate = (unit: LinkUnit): Item => {
    const args = unit.type.imports.map((i) => argument(i.name, i.type.kind));
    instances.push({ form: "instantiate", module: nested.moduleOf.get(unit)!.index, args });
    const item = spaces.take(Kind.Instance);
    instanceOf.set(unit, item);
    return item;
  };
  for (const unit of plan.order) {
    const instance = instantiate(unit);
    if (plan.reactors.has(unit)) {
      instances.push({
        form: "instantiate",
        module: nested.initializer!.index,
        args: [{ name: REACTOR, kind: Kind.Instance, index: instance.index }],
      });
      spaces.take(Kind.Instance);
    }
  }
  return { instances, mainInstance: instantiate(main) };
}

/** `(module (import "reactor" "_initialize" (func $init)) (start $init))`. */
function initializerModule(): ModuleIR {
  return {
    sections: [
      { id: SectionId.Type, types: [{ form: "func", params: [], results: [] }] },
      {
        id: SectionId.Import,
        imports: [{ module: REACTOR, field: INITIALIZE, desc: { kind: Kind.Func, type: 0 } }],
      },
      { id: SectionId.Start, func: 0 },
      nameSection(INITIALIZER_NAME),
    ],
  };
}

/** Counts the output's index spaces as items are added to them, in binary order. */
class IndexSpaces {
  /** The next index of each entity kind's space, by kind. */
  readonly #next: number[] = new Array(Kind.Instance + 1).fill(0);

  take(kind: EntityKind): Item {
    return { kind, index: this.#next[kind]++ };
  }
}

/**
 * The output's type section: types of the inputs' tables written as type
 * definitions, each distinct definition once. Types that module and
 * instance types refer to are defined before them.
 */
class OutputTypes {
  readonly defs: TypeDef[] = [];
  readonly #byKey = new Map<string, number>();
  // Per input's tables: func/module/instance type index there → index here.
  readonly #defined = new Map<TypeTables, Map<string, number>>();

  /** The index of the type definition `def`, added if it is new. */
  define(def: TypeDef): number {
    const key = JSON.stringify(def);
    let index = this.#byKey.get(key);
    if (index === undefined) {
      index = this.defs.push(def) - 1;
      this.#byKey.set(key, index);
    }
    return index;
  }

  /** `type`, an entity type of `tables`, as an import descriptor of the output. */
  importDesc(tables: TypeTables, type: EntityType): ImportDesc {
    if (type.kind === Kind.Table || type.kind === Kind.Memory || type.kind === Kind.Global) {
      return type;
    }
    let defined = this.#defined.get(tables);
    if (defined === undefined) this.#defined.set(tables, defined = new Map());
    const key = `${type.kind}:${type.type}`;
    let index = defined.get(key);
    if (index === undefined) {
      index = this.define(this.#typeDef(tables, type));
      defined.set(key, index);
    }
    return { kind: type.kind, type: index };
  }

  /** The definition a func, tag, module or instance type refers to (a tag's is a func type). */
  #typeDef(
    tables: TypeTables,
    type: EntityType & {
      kind: typeof Kind.Func | typeof Kind.Tag | typeof Kind.Module | typeof Kind.Instance;
    },
  ): TypeDef {
    const exportsOf = (list: typeof tables.instances[number]["exports"]) =>
      list.map((e) => ({ name: e.name, desc: this.importDesc(tables, e.type) }));
    switch (type.kind) {
      case Kind.Func:
      case Kind.Tag: {
        const func = tables.funcs[type.type];
        return { form: "func", params: [...func.params], results: [...func.results] };
      }
      case Kind.Module: {
        const module = tables.modules[type.type];
        const imports: Import[] = module.imports.map((i) => ({
          module: i.name,
          field: null,
          desc: this.importDesc(tables, i.type),
        }));
        return { form: "module", imports, exports: exportsOf(module.exports) };
      }
      case Kind.Instance:
        return { form: "instance", exports: exportsOf(tables.instances[type.type].exports) };
      default:
        return unreachable(type, "type kind");
    }
  }
}
