/**
 * Validates one module of a blob and builds its compiled description, in a
 * single pass over its sections in binary order: the index spaces grow as
 * the binary says, every reference is checked against what precedes it, and
 * each import, alias, nested module and instance becomes an initializer.
 *
 * @module
 */

import {
  type Alias,
  type CoreKind,
  type EntityKind,
  type Export,
  type ExportsInstanceDef,
  type Import,
  type ImportSection,
  type InstanceDef,
  type InstanceExportAlias,
  type InstantiateDef,
  isCoreKind,
  Kind,
  type ModuleIR,
  type OuterModuleAlias,
  type OuterTypeAlias,
  type Section,
  SectionId,
  unreachable,
  withArticle,
} from "../ir.ts";
import type {
  CompiledExport,
  CompiledImport,
  CompiledModule,
  Initializer,
  ModuleUpvar,
} from "../compiled.ts";
import { formatEntityType, kindName } from "../format.ts";
import { type ImplicitInstances, joinImplicitInstance } from "../implicit_instance.ts";
import { MAX_INSTANTIATE_ARGS, MAX_MODULES, MAX_NESTING_DEPTH } from "../limits.ts";
import { type SubtypeBudget, subtypeMismatch } from "../subtype.ts";
import {
  type CoreEntityType,
  type EntityType,
  isCoreEntityType,
  type NamedType,
  type TypeTables,
} from "../types.ts";
import { ModuleErrors } from "./module_errors.ts";
import { isCoreSection, sectionOrderError, usesModuleLinking } from "./order.ts";
import { IndexSpaces } from "./spaces.ts";
import { buildCoreModule, type CoreParts } from "./split.ts";
import { TypeDefinitions } from "./type_definitions.ts";
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

/** The two-level imports of one module name in an import section: one implicit instance. */
interface ImportedInstance {
  /** Its index in the instance index space. */
  readonly index: number;
  /** Its place among the module type's imports. */
  readonly importSlot: number;
  /** Its exports: the imports' fields and their types, in import order. */
  readonly exports: NamedType[];
  /** Where each export was imported, for errors about the instance type. */
  readonly offsets: (number | undefined)[];
  readonly fields: Set<string>;
}

/** Compiles one module (and, recursively, the modules nested in it). */
export class ModuleBuilder {
  readonly #blob: BlobContext;
  readonly #parent: ModuleBuilder | undefined;
  readonly #errors: ModuleErrors;
  readonly #depth: number;
  // How many types and modules the parent had when this module was defined:
  // only those are visible to outer aliases.
  readonly #visibleTypes: number;
  readonly #visibleModules: number;

  readonly #spaces = new IndexSpaces();
  readonly #typeDefinitions: TypeDefinitions;
  readonly #initializers: Initializer[] = [];
  readonly #coreImports: CoreEntityType[] = [];
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
  // Imported and aliased funcs, tables, memories, globals, tags: the rest are local.
  #importedCounts: Readonly<Record<CoreKind, number>> = this.#spaces.coreCounts();

  private constructor(
    blob: BlobContext,
    parent: ModuleBuilder | undefined,
    path: readonly string[],
  ) {
    this.#blob = blob;
    this.#parent = parent;
    this.#errors = new ModuleErrors(path);
    this.#depth = parent ? parent.#depth + 1 : 0;
    this.#visibleTypes = parent ? parent.#spaces.types.length : 0;
    this.#visibleModules = parent ? parent.#spaces.modules.length : 0;
    this.#typeDefinitions = new TypeDefinitions(blob.types, this.#spaces.types, this.#errors);
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
    this.#errors.fail(message, offset);
  }

  #compile(ir: ModuleIR, name: string): number {
    if (this.#depth > MAX_NESTING_DEPTH) {
      this.#fail(`modules nested more than ${MAX_NESTING_DEPTH} deep`, ir.offset);
    }
    if (this.#blob.modules.length >= MAX_MODULES) {
      this.#fail(`more than ${MAX_MODULES} modules in one binary`, ir.offset);
    }
    // Reserve the slot first so that a module precedes its nested modules.
    const index = this.#blob.modules.push(undefined) - 1;
    // Only a top-level module that uses no module-linking feature is core
    // wasm. A nested module always follows module linking's rules: its type
    // is a module type, whose implicit instances cannot repeat a field.
    this.#moduleLinking = this.#depth > 0 || usesModuleLinking(ir);
    const order = sectionOrderError(ir, this.#moduleLinking);
    if (order) this.#fail(order.message, order.section.offset);
    for (const section of ir.sections) {
      if (!this.#coreStarted && isCoreSection(section.id)) this.#startCore();
      this.#section(section);
    }
    if (!this.#coreStarted) this.#startCore();
    const moduleType = this.#ownModuleType();
    const instanceType = this.#errors.intern(
      () => this.#blob.types.instanceOf(moduleType),
      ir.offset,
    );
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
      fusion: null,
    };
    return index;
  }

  /** Interns the module's own type: its imports and exports. */
  #ownModuleType(): number {
    return this.#errors.intern(
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
  }

  #startCore(): void {
    this.#coreStarted = true;
    this.#importedCounts = this.#spaces.coreCounts();
  }

  #section(section: Section): void {
    switch (section.id) {
      case SectionId.Type:
        for (const def of section.types) this.#typeDefinitions.define(def);
        return;
      case SectionId.Import:
        this.#importSection(section);
        return;
      case SectionId.Function:
        for (const typeIndex of section.funcs) {
          this.#spaces.funcs.push(this.#typeDefinitions.funcType(typeIndex, section.offset));
        }
        return;
      case SectionId.Table:
        for (const type of section.tables) this.#spaces.tables.push({ kind: Kind.Table, type });
        return;
      case SectionId.Memory:
        for (const type of section.memories) {
          this.#spaces.memories.push({ kind: Kind.Memory, type });
        }
        return;
      case SectionId.Global:
        for (const global of section.globals) {
          this.#spaces.globals.push({ kind: Kind.Global, type: global.type });
        }
        return;
      case SectionId.Tag:
        for (const typeIndex of section.tags) {
          this.#spaces.tags.push(this.#typeDefinitions.tagType(typeIndex, section.offset));
        }
        return;
      case SectionId.Export:
        for (const e of section.exports) this.#export(e);
        return;
      case SectionId.Module:
        for (const nested of section.modules) this.#nestedModule(nested);
        return;
      case SectionId.Instance:
        for (const def of section.instances) this.#instance(def);
        return;
      case SectionId.Alias:
        for (const alias of section.aliases) this.#alias(alias);
        return;
      case SectionId.Custom:
      case SectionId.Start:
      case SectionId.Element:
      case SectionId.Code:
      case SectionId.Data:
      case SectionId.DataCount:
        // Core validation is V8's.
        return;
      default:
        unreachable(section, "section");
    }
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
    if (isCoreEntityType(type)) this.#coreImports.push(type);
  }

  /**
   * An import section: each single-level import is one import of the
   * module; the two-level ones are grouped into the section's implicit
   * instances (`lib/implicit_instance.ts`), each imported where its first
   * import is, and stand for aliases of their exports.
   */
  #importSection(section: ImportSection): void {
    const implicit: ImplicitInstances<ImportedInstance> = new Map();
    for (const imp of section.imports) {
      const type = this.#typeDefinitions.entityType(imp.desc, imp.offset);
      this.#imports.push({ module: imp.module, field: imp.field, type });
      if (imp.field === null) this.#singleLevelImport(imp, type);
      else this.#twoLevelImport(implicit, imp, imp.field, type);
    }
    // Each implicit instance's type is known once the section is.
    for (const [name, instance] of implicit) {
      const index = this.#errors.intern(
        () => this.#blob.types.instance({ exports: instance.exports }),
        (member) => instance.offsets[member],
        `the instance of imports from ${JSON.stringify(name)}`,
      );
      this.#spaces.instances[instance.index] = index;
      this.#importTypes[instance.importSlot] = { name, type: { kind: Kind.Instance, type: index } };
    }
  }

  #singleLevelImport(imp: Import, type: EntityType): void {
    this.#claimImportName(imp.module, imp.offset);
    this.#importTypes.push({ name: imp.module, type });
    this.#importOffsets.push(imp.offset);
    this.#initializers.push({ op: "import", name: imp.module, kind: type.kind });
    this.#pushEntity(type);
  }

  /** A two-level import: an export of the implicit instance of its module name in its section. */
  #twoLevelImport(
    implicit: ImplicitInstances<ImportedInstance>,
    imp: Import,
    field: string,
    type: EntityType,
  ): void {
    const instance = joinImplicitInstance(
      implicit,
      imp.module,
      () => this.#startImplicitInstance(imp),
    );
    // Core wasm allows a field twice; module linking does not: the implicit
    // instance would have two exports of one name.
    if (this.#moduleLinking && instance.fields.has(field)) {
      this.#fail(
        `duplicate import name ${JSON.stringify(imp.module)} ${JSON.stringify(field)}`,
        imp.offset,
      );
    }
    instance.exports.push({ name: field, type });
    instance.fields.add(field);
    instance.offsets.push(imp.offset);
    this.#initializers.push({
      op: "alias",
      instance: instance.index,
      name: field,
      kind: type.kind,
    });
    this.#pushEntity(type);
  }

  /**
   * Imports the implicit instance that `imp` starts, at its place. Its type
   * is filled in at the end of the section.
   */
  #startImplicitInstance(imp: Import): ImportedInstance {
    this.#claimImportName(imp.module, imp.offset);
    const instance: ImportedInstance = {
      index: this.#spaces.instances.push(-1) - 1,
      importSlot: this.#importTypes.push({
        name: imp.module,
        type: { kind: Kind.Instance, type: -1 },
      }) - 1,
      exports: [],
      offsets: [],
      fields: new Set(),
    };
    this.#importOffsets.push(imp.offset);
    this.#initializers.push({ op: "import", name: imp.module, kind: Kind.Instance });
    return instance;
  }

  // ---- module-linking definitions ----------------------------------------

  #nestedModule(ir: ModuleIR): void {
    const name = moduleNameOf(ir);
    const label = name === undefined ? `module ${this.#spaces.modules.length}` : `module $${name}`;
    const child = new ModuleBuilder(this.#blob, this, [...this.#errors.path, label]);
    const index = child.#compile(ir, label);
    this.#spaces.modules.push(this.#blob.modules[index]!.type);
    this.#initializers.push({ op: "module", compiled: index });
    this.#children.push(index);
  }

  #checkIndex(kind: EntityKind, index: number, what: string, offset?: number): void {
    const count = this.#spaces.count(kind);
    if (index >= count) {
      // Local definitions follow the prelude in binary order.
      const hint = isCoreKind(kind) && !this.#coreStarted
        ? "; local definitions come later in binary order and cannot be used here"
        : "";
      this.#fail(
        `${what}: ${kindName(kind)} index ${index} out of bounds (${count} defined so far${hint})`,
        offset,
      );
    }
  }

  #instance(def: InstanceDef): void {
    switch (def.form) {
      case "instantiate":
        this.#instantiate(def);
        return;
      case "exports":
        this.#exportsInstance(def);
        return;
      default:
        unreachable(def, "instance definition");
    }
  }

  #instantiate(def: InstantiateDef): void {
    this.#checkIndex(Kind.Module, def.module, "instantiate", def.offset);
    if (def.args.length > MAX_INSTANTIATE_ARGS) {
      this.#fail(
        `instantiate: ${def.args.length} arguments exceed the limit of ${MAX_INSTANTIATE_ARGS}`,
        def.offset,
      );
    }
    const args = this.#instantiateArgs(def);
    this.#checkInstantiateArgs(def, args);
    const instanceType = this.#errors.intern(
      () => this.#blob.types.instanceOf(this.#spaces.modules[def.module]),
      def.offset,
    );
    this.#spaces.instances.push(instanceType);
    this.#initializers.push({
      op: "instantiate",
      module: def.module,
      args: def.args,
    });
  }

  /**
   * An instance made of items of this module: its type is that of the
   * items, by their export names, which must be distinct.
   */
  #exportsInstance(def: ExportsInstanceDef): void {
    if (def.exports.length > MAX_INSTANTIATE_ARGS) {
      this.#fail(
        `instance: ${def.exports.length} exports exceed the limit of ${MAX_INSTANTIATE_ARGS}`,
        def.offset,
      );
    }
    const names = new Set<string>();
    const exports: NamedType[] = [];
    for (const e of def.exports) {
      if (names.has(e.name)) {
        this.#fail(`instance: duplicate export name ${JSON.stringify(e.name)}`, def.offset);
      }
      names.add(e.name);
      this.#checkIndex(e.kind, e.index, `instance export ${JSON.stringify(e.name)}`, def.offset);
      exports.push({ name: e.name, type: this.#spaces.entity(e.kind, e.index) });
    }
    const instanceType = this.#errors.intern(
      () => this.#blob.types.instance({ exports }),
      def.offset,
    );
    this.#spaces.instances.push(instanceType);
    this.#initializers.push({ op: "instance", exports: def.exports, type: instanceType });
  }

  /** The types of the arguments of `def`, by name, their names distinct and their indices checked. */
  #instantiateArgs(def: InstantiateDef): Map<string, EntityType> {
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
    return args;
  }

  /** Checks that `args` give each import of the module `def` instantiates a subtype of its type. */
  #checkInstantiateArgs(def: InstantiateDef, args: ReadonlyMap<string, EntityType>): void {
    const types = this.#blob.types;
    const moduleType = types.modules[this.#spaces.modules[def.module]];
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
  }

  #alias(alias: Alias): void {
    switch (alias.form) {
      case "instanceExport":
        this.#instanceExportAlias(alias);
        return;
      case "outerModule":
      case "outerType":
        this.#outerAlias(alias);
        return;
      default:
        unreachable(alias, "alias");
    }
  }

  #instanceExportAlias(alias: InstanceExportAlias): void {
    this.#checkIndex(Kind.Instance, alias.instance, "alias", alias.offset);
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
        `alias: export ${JSON.stringify(alias.name)} of instance ${alias.instance} is ${
          withArticle(kindName(type.kind))
        }, not ${withArticle(kindName(alias.kind))}`,
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
  }

  #outerAlias(alias: OuterModuleAlias | OuterTypeAlias): void {
    // Find the enclosing module `depth` levels up, and what of it was
    // visible where the path towards us was defined.
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
    let module: ModuleBuilder = this;
    for (let level = 0; level < levels && module.#parent; level++) module = module.#parent;
    return module;
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
    this.#checkIndex(e.kind, e.index, `export ${JSON.stringify(e.name)}`, e.offset);
    const local = isCoreKind(e.kind) && e.index >= this.#importedCounts[e.kind];
    this.#exports.push({ name: e.name, kind: e.kind, index: e.index, local });
    this.#exportTypes.push({ name: e.name, type: this.#spaces.entity(e.kind, e.index) });
    this.#exportOffsets.push(e.offset);
  }
}
