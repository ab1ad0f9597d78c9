/**
 * Validates one module of a blob and builds its compiled description, in a
 * single pass over its sections in binary order: the index spaces grow as
 * the binary says, every reference is checked against what precedes it, and
 * each import, alias, nested module and instance becomes an initializer.
 *
 * @module
 */

import type {
  Alias,
  Export,
  ImportDesc,
  ImportSection,
  InstanceDef,
  ModuleIR,
  Section,
  TypeDef,
} from "../ir.ts";
import type {
  CompiledExport,
  CompiledImport,
  CompiledModule,
  Initializer,
  ModuleUpvar,
} from "../compiled.ts";
import { CompileError } from "../errors.ts";
import { formatEntityType, kindName } from "../format.ts";
import { MAX_INSTANTIATE_ARGS, MAX_MODULES, MAX_NESTING_DEPTH } from "../limits.ts";
import { type SubtypeBudget, subtypeMismatch } from "../subtype.ts";
import { type EntityType, type NamedType, TypeSizeError, type TypeTables } from "../types.ts";
import { sectionOrderError, usesModuleLinking } from "./order.ts";
import { IndexSpaces, type TypeSlot } from "./spaces.ts";
import { buildCoreModule, type CoreParts } from "./split.ts";
import { moduleNameOf } from "../binary/names.ts";

// One empty list for every module that has nothing of a kind: a blob may
// hold 100,000 modules, most of them small.
const NONE: readonly never[] = Object.freeze([]);

function orNone<T>(list: readonly T[]): readonly T[] {
  return list.length === 0 ? NONE : list;
}

/** What the whole blob shares while its modules are compiled. */
export interface BlobContext {
  readonly types: TypeTables;
  readonly modules: (CompiledModule | undefined)[];
  /** What subtype checks may still spend, for all the blob's modules together. */
  readonly subtypeBudget: SubtypeBudget;
}

/** Compiles one module (and, recursively, the modules nested in it). */
export class ModuleBuilder {
  readonly #blob: BlobContext;
  readonly #parent: ModuleBuilder | undefined;
  readonly #path: readonly string[];
  readonly #depth: number;
  // How many types and modules the parent had when this module was defined:
  // only those are visible to outer aliases.
  readonly #visibleTypes: number;
  readonly #visibleModules: number;

  readonly #spaces = new IndexSpaces();
  readonly #initializers: Initializer[] = [];
  readonly #coreImports: EntityType[] = [];
  readonly #imports: CompiledImport[] = [];
  readonly #importTypes: NamedType[] = [];
  // Where each of #importTypes and #exportTypes comes from, for errors about the module type.
  readonly #importOffsets: (number | undefined)[] = [];
  readonly #importNames = new Set<string>();
  readonly #exports: CompiledExport[] = [];
  readonly #exportTypes: NamedType[] = [];
  readonly #exportOffsets: (number | undefined)[] = [];
  readonly #exportNames = new Set<string>();
  readonly #upvars: ModuleUpvar[] = [];
  readonly #upvarKeys = new Map<string, number>();
  readonly #children: number[] = [];
  #moduleLinking = false;
  #coreStarted = false;
  // Imported and aliased funcs, tables, memories, globals: the rest are local.
  #importedCounts: number[] = [0, 0, 0, 0];

  private constructor(
    blob: BlobContext,
    parent: ModuleBuilder | undefined,
    path: readonly string[],
  ) {
    this.#blob = blob;
    this.#parent = parent;
    this.#path = path;
    this.#depth = parent ? parent.#depth + 1 : 0;
    this.#visibleTypes = parent ? parent.#spaces.types.length : 0;
    this.#visibleModules = parent ? parent.#spaces.modules.length : 0;
  }

  /** Compiles a top-level module into `blob`; returns its index there. */
  static compileRoot(blob: BlobContext, ir: ModuleIR): number {
    const name = moduleNameOf(ir);
    const path = name === undefined ? [] : [`module $${name}`];
    return new ModuleBuilder(blob, undefined, path).#compile(
      ir,
      name ? `module $${name}` : "",
    );
  }

  #fail(message: string, offset?: number): never {
    throw new CompileError(message, { offset, path: this.#path });
  }

  #compile(ir: ModuleIR, name: string): number {
    if (this.#depth > MAX_NESTING_DEPTH) {
      this.#fail(
        `modules nested more than ${MAX_NESTING_DEPTH} deep`,
        ir.offset,
      );
    }
    if (this.#blob.modules.length >= MAX_MODULES) {
      this.#fail(`more than ${MAX_MODULES} modules in one binary`, ir.offset);
    }
    // Reserve the slot first so that a module precedes its nested modules.
    const index = this.#blob.modules.push(undefined) - 1;
    this.#moduleLinking = usesModuleLinking(ir);
    const order = sectionOrderError(ir, this.#moduleLinking);
    if (order) this.#fail(order.message, order.section.offset);
    for (const section of ir.sections) {
      if (!this.#coreStarted && section.id >= 3 && section.id <= 13) {
        this.#startCore();
      }
      this.#section(section);
    }
    if (!this.#coreStarted) this.#startCore();
    const moduleType = this.#intern(
      () =>
        this.#blob.types.module({
          imports: this.#importTypes,
          exports: this.#exportTypes,
        }),
      (member) => {
        const imports = this.#importOffsets.length;
        return member < imports
          ? this.#importOffsets[member]
          : this.#exportOffsets[member - imports];
      },
      "the module's own type",
    );
    const instanceType = this.#intern(() => this.#blob.types.instanceOf(moduleType), ir.offset);
    const parts: CoreParts = {
      ir,
      types: this.#blob.types,
      typeSlots: this.#spaces.types,
      coreImports: this.#coreImports,
      importedCounts: this.#importedCounts,
    };
    this.#blob.modules[index] = {
      name,
      core: buildCoreModule(parts),
      initializers: orNone(this.#initializers),
      exports: orNone(this.#exports),
      imports: orNone(this.#imports),
      type: moduleType,
      instanceType,
      upvars: orNone(this.#upvars),
      children: orNone(this.#children),
    };
    return index;
  }

  #startCore(): void {
    this.#coreStarted = true;
    this.#importedCounts = [0, 1, 2, 3].map((k) => this.#spaces.count(k));
  }

  /**
   * Interns a type with `make`. A type too large or too deep is an error at
   * `at`: one offset, or the offset of a member (imports, then exports), to
   * blame the one that crossed the limit; `what` names the type then.
   */
  #intern(
    make: () => number,
    at: number | undefined | ((member: number) => number | undefined),
    what?: string,
  ): number {
    try {
      return make();
    } catch (e) {
      if (!(e instanceof TypeSizeError)) throw e;
      if (typeof at === "function") this.#fail(`${what}: ${e.message}`, at(e.member));
      this.#fail(e.message, at);
    }
  }

  #section(section: Section): void {
    switch (section.id) {
      case 1:
        for (const t of section.types) this.#typeDef(t);
        break;
      case 2:
        this.#importSection(section);
        break;
      case 3:
        for (const typeIndex of section.funcs) {
          this.#spaces.funcs.push(this.#funcType(typeIndex, section.offset));
        }
        break;
      case 4:
        for (const type of section.tables) {
          this.#spaces.tables.push({ kind: 1, type });
        }
        break;
      case 5:
        for (const type of section.memories) {
          this.#spaces.memories.push({ kind: 2, type });
        }
        break;
      case 6:
        for (const g of section.globals) {
          this.#spaces.globals.push({ kind: 3, type: g.type });
        }
        break;
      case 7:
        for (const e of section.exports) this.#export(e);
        break;
      case 14:
        for (const nested of section.modules) this.#nestedModule(nested);
        break;
      case 15:
        for (const def of section.instances) this.#instance(def);
        break;
      case 16:
        for (const alias of section.aliases) this.#alias(alias);
        break;
      default:
        // Start, element, code, data, data count: core validation is V8's.
        break;
    }
  }

  // ---- types -------------------------------------------------------------

  #typeSlot(index: number, offset?: number): TypeSlot {
    const slot = this.#spaces.types[index];
    if (slot === undefined) {
      this.#fail(
        `type index ${index} out of bounds (${this.#spaces.types.length} types defined so far)`,
        offset,
      );
    }
    return slot;
  }

  #funcType(index: number, offset?: number): number {
    const slot = this.#typeSlot(index, offset);
    if (slot.form !== "func") {
      this.#fail(
        `type ${index} is a ${slot.form} type, expected a func type`,
        offset,
      );
    }
    return slot.index;
  }

  /** The entity type an import descriptor describes, its type indices checked. */
  #descType(desc: ImportDesc, offset?: number): EntityType {
    switch (desc.kind) {
      case 0:
        return { kind: 0, type: this.#funcType(desc.type, offset) };
      case 5:
      case 6: {
        const want = desc.kind === 5 ? "module" : "instance";
        const slot = this.#typeSlot(desc.type, offset);
        if (slot.form !== want) {
          this.#fail(
            `type ${desc.type} is a ${slot.form} type, expected a ${want} type`,
            offset,
          );
        }
        return { kind: desc.kind, type: slot.index };
      }
      default:
        return desc;
    }
  }

  #typeDef(def: TypeDef): void {
    const types = this.#blob.types;
    if (def.form === "func") {
      this.#spaces.types.push({
        form: "func",
        index: types.func(def.params, def.results),
      });
      return;
    }
    const exports = this.#namedExports(def.exports, def.offset);
    if (def.form === "instance") {
      const index = this.#intern(() => types.instance({ exports }), def.offset);
      this.#spaces.types.push({ form: "instance", index });
      return;
    }
    const imports = this.#normalizedImports(def.imports, def.offset);
    const index = this.#intern(
      () => types.module({ imports, exports }),
      def.offset,
    );
    this.#spaces.types.push({ form: "module", index });
  }

  #namedExports(
    list: readonly { name: string; desc: ImportDesc }[],
    offset?: number,
  ): NamedType[] {
    const seen = new Set<string>();
    const out: NamedType[] = [];
    for (const e of list) {
      if (seen.has(e.name)) {
        this.#fail(
          `duplicate export name ${JSON.stringify(e.name)} in type`,
          offset,
        );
      }
      seen.add(e.name);
      out.push({ name: e.name, type: this.#descType(e.desc, offset) });
    }
    return out;
  }

  /** Imports of a module type, two-level ones gathered into instance imports. */
  #normalizedImports(
    list: readonly { module: string; field: string | null; desc: ImportDesc }[],
    offset?: number,
  ): NamedType[] {
    type Group = { name: string; fields: NamedType[]; names: Set<string> };
    const out: (NamedType | Group)[] = [];
    const byName = new Map<string, Group | null>();
    for (const imp of list) {
      const type = this.#descType(imp.desc, offset);
      const group = byName.get(imp.module);
      if (imp.field === null) {
        if (group !== undefined) {
          this.#fail(
            `duplicate import name ${JSON.stringify(imp.module)} in module type`,
            offset,
          );
        }
        byName.set(imp.module, null);
        out.push({ name: imp.module, type });
        continue;
      }
      if (group === null) {
        this.#fail(
          `duplicate import name ${JSON.stringify(imp.module)} in module type`,
          offset,
        );
      }
      if (group === undefined) {
        const fresh = {
          name: imp.module,
          fields: [{ name: imp.field, type }],
          names: new Set([imp.field]),
        };
        byName.set(imp.module, fresh);
        out.push(fresh);
      } else {
        if (group.names.has(imp.field)) {
          this.#fail(
            `duplicate import ${JSON.stringify(imp.module)} ${
              JSON.stringify(imp.field)
            } in module type`,
            offset,
          );
        }
        group.fields.push({ name: imp.field, type });
        group.names.add(imp.field);
      }
    }
    return out.map((item) =>
      "fields" in item
        ? {
          name: item.name,
          type: {
            kind: 6,
            type: this.#intern(
              () => this.#blob.types.instance({ exports: item.fields }),
              offset,
            ),
          },
        }
        : item
    );
  }

  // ---- imports -----------------------------------------------------------

  #claimImportName(name: string, offset?: number): void {
    if (this.#moduleLinking && this.#importNames.has(name)) {
      this.#fail(`duplicate import name ${JSON.stringify(name)}`, offset);
    }
    this.#importNames.add(name);
  }

  /** Pushes an imported or aliased entity; core kinds also become core imports. */
  #pushEntity(type: EntityType): void {
    this.#spaces.push(type);
    if (type.kind <= 3) this.#coreImports.push(type);
  }

  #importSection(section: ImportSection): void {
    // Two-level imports of this section, by module name: the implicit instance.
    const implicit = new Map<
      string,
      {
        instance: number;
        slot: number;
        fields: NamedType[];
        names: Set<string>;
        offsets: (number | undefined)[];
      }
    >();
    for (const imp of section.imports) {
      const type = this.#descType(imp.desc, imp.offset);
      this.#imports.push({ module: imp.module, field: imp.field, type });
      if (imp.field === null) {
        this.#claimImportName(imp.module, imp.offset);
        this.#importTypes.push({ name: imp.module, type });
        this.#importOffsets.push(imp.offset);
        this.#initializers.push({
          op: "import",
          name: imp.module,
          kind: type.kind,
        });
        this.#pushEntity(type);
        continue;
      }
      let group = implicit.get(imp.module);
      if (group === undefined) {
        this.#claimImportName(imp.module, imp.offset);
        group = {
          instance: this.#spaces.instances.push(-1) - 1,
          slot: this.#importTypes.push({
            name: imp.module,
            type: { kind: 6, type: -1 },
          }) - 1,
          fields: [],
          names: new Set(),
          offsets: [],
        };
        this.#importOffsets.push(imp.offset);
        implicit.set(imp.module, group);
        this.#initializers.push({ op: "import", name: imp.module, kind: 6 });
      } else if (this.#moduleLinking && group.names.has(imp.field)) {
        this.#fail(
          `duplicate import ${JSON.stringify(imp.module)} ${JSON.stringify(imp.field)}`,
          imp.offset,
        );
      }
      group.fields.push({ name: imp.field, type });
      group.names.add(imp.field);
      group.offsets.push(imp.offset);
      this.#initializers.push({
        op: "alias",
        instance: group.instance,
        name: imp.field,
        kind: type.kind,
      });
      this.#pushEntity(type);
    }
    for (const [name, group] of implicit) {
      const index = this.#intern(
        () => this.#blob.types.instance({ exports: group.fields }),
        (member) => group.offsets[member],
        `the instance of imports from ${JSON.stringify(name)}`,
      );
      this.#spaces.instances[group.instance] = index;
      this.#importTypes[group.slot] = { name, type: { kind: 6, type: index } };
    }
  }

  // ---- module-linking definitions ----------------------------------------

  #nestedModule(ir: ModuleIR): void {
    const name = moduleNameOf(ir);
    const label = name === undefined ? `module ${this.#spaces.modules.length}` : `module $${name}`;
    const child = new ModuleBuilder(this.#blob, this, [...this.#path, label]);
    const index = child.#compile(ir, label);
    this.#spaces.modules.push(this.#blob.modules[index]!.type);
    this.#initializers.push({ op: "module", compiled: index });
    this.#children.push(index);
  }

  #checkIndex(
    kind: number,
    index: number,
    what: string,
    offset?: number,
  ): void {
    const count = this.#spaces.count(kind);
    if (index >= count) {
      // Local definitions follow the prelude in binary order.
      const hint = kind <= 3 && !this.#coreStarted
        ? "; local definitions come later in binary order and cannot be used here"
        : "";
      this.#fail(
        `${what}: ${kindName(kind)} index ${index} out of bounds (${count} defined so far${hint})`,
        offset,
      );
    }
  }

  #instance(def: InstanceDef): void {
    this.#checkIndex(5, def.module, "instantiate", def.offset);
    if (def.args.length > MAX_INSTANTIATE_ARGS) {
      this.#fail(
        `instantiate: ${def.args.length} arguments exceed the limit of ${MAX_INSTANTIATE_ARGS}`,
        def.offset,
      );
    }
    const types = this.#blob.types;
    const moduleType = types.modules[this.#spaces.modules[def.module]];
    const args = new Map<string, EntityType>();
    for (const arg of def.args) {
      if (args.has(arg.name)) {
        this.#fail(
          `instantiate: duplicate argument name ${JSON.stringify(arg.name)}`,
          def.offset,
        );
      }
      this.#checkIndex(
        arg.kind,
        arg.index,
        `instantiate argument ${JSON.stringify(arg.name)}`,
        def.offset,
      );
      args.set(arg.name, this.#spaces.entity(arg.kind, arg.index));
    }
    for (const imp of moduleType.imports) {
      const given = args.get(imp.name);
      if (given === undefined) {
        this.#fail(
          `instantiate module ${def.module}: missing argument ${
            JSON.stringify(imp.name)
          }: expected ${formatEntityType(types, imp.type)}`,
          def.offset,
        );
      }
      const why = subtypeMismatch(types, given, types, imp.type, this.#blob.subtypeBudget);
      if (why !== null) {
        this.#fail(
          `instantiate module ${def.module}: argument ${JSON.stringify(imp.name)}: ${why}`,
          def.offset,
        );
      }
    }
    const instanceType = this.#intern(
      () => types.instanceOf(this.#spaces.modules[def.module]),
      def.offset,
    );
    this.#spaces.instances.push(instanceType);
    this.#initializers.push({
      op: "instantiate",
      module: def.module,
      args: def.args,
    });
  }

  #alias(alias: Alias): void {
    if (alias.form === "instanceExport") {
      this.#checkIndex(6, alias.instance, "alias", alias.offset);
      const instanceType = this.#spaces.instances[alias.instance];
      const type = this.#blob.types.instanceExport(instanceType, alias.name);
      if (type === undefined) {
        this.#fail(
          `alias: instance ${alias.instance} has no export ${JSON.stringify(alias.name)}`,
          alias.offset,
        );
      }
      if (type.kind !== alias.kind) {
        this.#fail(
          `alias: export ${JSON.stringify(alias.name)} of instance ${alias.instance} is a ${
            kindName(type.kind)
          }, not a ${kindName(alias.kind)}`,
          alias.offset,
        );
      }
      this.#initializers.push({
        op: "alias",
        instance: alias.instance,
        name: alias.name,
        kind: alias.kind,
      });
      this.#pushEntity(type);
      return;
    }
    // Outer alias: find the enclosing module `depth` levels up, and what of
    // it was visible where the path towards us was defined.
    const inner = this.#ancestor(alias.depth);
    const target = inner.#parent;
    if (target === undefined) {
      this.#fail(
        `outer alias depth ${alias.depth} out of range: ${this.#depth} enclosing module(s)`,
        alias.offset,
      );
    }
    const isType = alias.form === "outerType";
    const visible = isType ? inner.#visibleTypes : inner.#visibleModules;
    if (alias.index >= visible) {
      this.#fail(
        `outer alias: ${
          isType ? "type" : "module"
        } ${alias.index} of the module ${alias.depth} level(s) out is not defined before this module (${visible} visible)`,
        alias.offset,
      );
    }
    if (isType) {
      this.#spaces.types.push(target.#spaces.types[alias.index]);
      return;
    }
    const upvar = this.#captureOuterModule(alias.depth, alias.index);
    this.#spaces.modules.push(target.#spaces.modules[alias.index]);
    this.#initializers.push({ op: "upvar", index: upvar });
  }

  /** This module's ancestor `levels` up (or the outermost one, if there are fewer). */
  #ancestor(levels: number): ModuleBuilder {
    // deno-lint-ignore no-this-alias
    let m: ModuleBuilder = this;
    for (let d = 0; d < levels && m.#parent; d++) m = m.#parent;
    return m;
  }

  /** Captures module `index` of the module `depth` levels out; returns the upvar index. */
  #captureOuterModule(depth: number, index: number): number {
    const source: ModuleUpvar = depth === 0 ? { from: "space", index } : {
      from: "upvar",
      index: this.#parent!.#captureOuterModule(depth - 1, index),
    };
    const key = `${source.from}:${source.index}`;
    const found = this.#upvarKeys.get(key);
    if (found !== undefined) return found;
    const slot = this.#upvars.push(source) - 1;
    this.#upvarKeys.set(key, slot);
    return slot;
  }

  // ---- exports -----------------------------------------------------------

  #export(e: Export): void {
    if (this.#exportNames.has(e.name)) {
      this.#fail(`duplicate export name ${JSON.stringify(e.name)}`, e.offset);
    }
    this.#exportNames.add(e.name);
    this.#checkIndex(
      e.kind,
      e.index,
      `export ${JSON.stringify(e.name)}`,
      e.offset,
    );
    const local = e.kind <= 3 && e.index >= this.#importedCounts[e.kind];
    this.#exports.push({ name: e.name, kind: e.kind, index: e.index, local });
    this.#exportTypes.push({
      name: e.name,
      type: this.#spaces.entity(e.kind, e.index),
    });
    this.#exportOffsets.push(e.offset);
  }
}
