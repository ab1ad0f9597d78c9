/**
 * A module's type index space as validation builds it: type definitions
 * interned into the blob's {@linkcode TypeTables}, and the checks that a type
 * index names a type of the right form.
 *
 * @module
 */

import { type ImplicitInstances, joinImplicitInstance } from "../implicit_instance.ts";
import {
  type ExportTypeDecl,
  type Import,
  type ImportDesc,
  Kind,
  type TypeDef,
  unreachable,
  withArticle,
} from "../ir.ts";
import type { EntityType, NamedType, TypeTables } from "../types.ts";
import type { ModuleErrors } from "./module_errors.ts";
import type { TypeSlot } from "./spaces.ts";

/** The two-level imports of one module name in a module type: one implicit instance. */
interface InstanceImport {
  readonly name: string;
  /** Its exports: the imports' fields and their types, in import order. */
  readonly exports: NamedType[];
  readonly fields: Set<string>;
}

/** The type index space of one module, and the types its entries describe. */
export class TypeDefinitions {
  readonly #tables: TypeTables;
  readonly #slots: TypeSlot[];
  readonly #errors: ModuleErrors;

  /** Definitions interned into `tables`, in the type index space `slots`. */
  constructor(tables: TypeTables, slots: TypeSlot[], errors: ModuleErrors) {
    this.#tables = tables;
    this.#slots = slots;
    this.#errors = errors;
  }

  #slot(index: number, offset?: number): TypeSlot {
    const slot = this.#slots[index];
    if (slot === undefined) {
      this.#errors.fail(
        `type index ${index} out of bounds (${this.#slots.length} types defined so far)`,
        offset,
      );
    }
    return slot;
  }

  /** The index in the tables of type `index`, which must be of `form`. */
  #typeOfForm(index: number, form: TypeSlot["form"], offset?: number): number {
    const slot = this.#slot(index, offset);
    if (slot.form !== form) {
      this.#errors.fail(
        `type ${index} is ${withArticle(slot.form)} type, expected ${withArticle(form)} type`,
        offset,
      );
    }
    return slot.index;
  }

  /** The index in the tables of func type `index`. */
  funcType(index: number, offset?: number): number {
    return this.#typeOfForm(index, "func", offset);
  }

  /**
   * The index in the tables of the func type of a tag of type `index`: a
   * func type without results (exceptions carry values, return none).
   */
  tagType(index: number, offset?: number): number {
    const func = this.funcType(index, offset);
    if (this.#tables.funcs[func].results.length > 0) {
      this.#errors.fail(`non-empty tag result type: type ${index} has results`, offset);
    }
    return func;
  }

  /** The entity type an import descriptor describes, its type indices checked. */
  entityType(desc: ImportDesc, offset?: number): EntityType {
    switch (desc.kind) {
      case Kind.Func:
        return { kind: Kind.Func, type: this.funcType(desc.type, offset) };
      case Kind.Tag:
        return { kind: Kind.Tag, type: this.tagType(desc.type, offset) };
      case Kind.Module:
        return { kind: Kind.Module, type: this.#typeOfForm(desc.type, "module", offset) };
      case Kind.Instance:
        return { kind: Kind.Instance, type: this.#typeOfForm(desc.type, "instance", offset) };
      case Kind.Table:
      case Kind.Memory:
      case Kind.Global:
        return desc;
      default:
        return unreachable(desc, "import descriptor");
    }
  }

  /** Adds the type a type section entry defines to the type index space. */
  define(def: TypeDef): void {
    switch (def.form) {
      case "func": {
        const index = this.#tables.func(def.params, def.results);
        this.#slots.push({ form: "func", index });
        return;
      }
      case "instance": {
        const exports = this.#exportTypes(def.exports, def.offset);
        const index = this.#errors.intern(() => this.#tables.instance({ exports }), def.offset);
        this.#slots.push({ form: "instance", index });
        return;
      }
      case "module": {
        const exports = this.#exportTypes(def.exports, def.offset);
        const imports = this.#moduleTypeImports(def.imports, def.offset);
        const index = this.#errors.intern(
          () => this.#tables.module({ imports, exports }),
          def.offset,
        );
        this.#slots.push({ form: "module", index });
        return;
      }
      default:
        unreachable(def, "type form");
    }
  }

  /** The exports of a module or instance type, their names distinct. */
  #exportTypes(list: readonly ExportTypeDecl[], offset?: number): NamedType[] {
    const seen = new Set<string>();
    const exports: NamedType[] = [];
    for (const e of list) {
      if (seen.has(e.name)) {
        this.#errors.fail(`duplicate export name ${JSON.stringify(e.name)} in type`, offset);
      }
      seen.add(e.name);
      exports.push({ name: e.name, type: this.entityType(e.desc, offset) });
    }
    return exports;
  }

  /**
   * The imports of a module type, two-level ones grouped into the instance
   * imports of their implicit instances. Every import name and every field
   * of an instance must be distinct.
   */
  #moduleTypeImports(list: readonly Import[], offset?: number): NamedType[] {
    const imports: (NamedType | InstanceImport)[] = [];
    const singleLevel = new Set<string>();
    const implicit: ImplicitInstances<InstanceImport> = new Map();
    const duplicateName = (name: string) =>
      this.#errors.fail(`duplicate import name ${JSON.stringify(name)} in module type`, offset);
    for (const imp of list) {
      const type = this.entityType(imp.desc, offset);
      if (imp.field === null) {
        if (singleLevel.has(imp.module) || implicit.has(imp.module)) duplicateName(imp.module);
        singleLevel.add(imp.module);
        imports.push({ name: imp.module, type });
        continue;
      }
      if (singleLevel.has(imp.module)) duplicateName(imp.module);
      const instance = joinImplicitInstance(implicit, imp.module, () => {
        const started = { name: imp.module, exports: [], fields: new Set<string>() };
        imports.push(started);
        return started;
      });
      if (instance.fields.has(imp.field)) {
        this.#errors.fail(
          `duplicate import name ${JSON.stringify(imp.module)} ${
            JSON.stringify(imp.field)
          } in module type`,
          offset,
        );
      }
      instance.exports.push({ name: imp.field, type });
      instance.fields.add(imp.field);
    }
    return imports.map((item) =>
      "fields" in item
        ? {
          name: item.name,
          type: {
            kind: Kind.Instance,
            type: this.#errors.intern(
              () => this.#tables.instance({ exports: item.exports }),
              offset,
            ),
          },
        }
        : item
    );
  }
}
