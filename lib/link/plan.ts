/**
 * What `link` decides before it writes anything: every import checked
 * against what will satisfy it, the imports left to the host gathered by
 * name, the order of instantiation, and which linked modules are reactors.
 *
 * @module
 */

import type { CompiledImport } from "../compiled.ts";
import { formatEntityType, kindName } from "../format.ts";
import { Kind, unreachable } from "../ir.ts";
import { subtypeMismatch } from "../subtype.ts";
import type { EntityType, TypeTables } from "../types.ts";
import { LinkToolError } from "./error.ts";
import { exportOf, type LinkUnit, nameList } from "./unit.ts";

/** The export that makes a linked module a reactor. */
export const INITIALIZE = "_initialize";

/** A type, the tables it indexes, and who imports it (for messages). */
export interface Typed {
  readonly tables: TypeTables;
  readonly type: EntityType;
  readonly by: string;
}

/**
 * An import the output leaves to its host: an instance gathering every
 * field imported from that name, or a single-level item.
 */
export type HostImport =
  | {
    readonly form: "instance";
    readonly name: string;
    readonly fields: ReadonlyMap<string, Typed>;
    readonly by: string;
  }
  | { readonly form: "single"; readonly name: string; readonly item: Typed };

/** The decisions `emitLinked` writes out. */
export interface LinkPlan {
  /** The linked modules in instantiation order: each after the modules it imports. */
  readonly order: readonly LinkUnit[];
  /** Linked modules whose `_initialize` the output calls right after instantiating them. */
  readonly reactors: ReadonlySet<LinkUnit>;
  /** The output's imports, in the order first imported (main first, then the modules as given). */
  readonly host: readonly HostImport[];
}

/**
 * Checks every import of `main` and `modules` and plans the output.
 * `modules` all have names, distinct ones.
 *
 * @throws {LinkToolError} for a missing export, a kind or type mismatch, conflicting host
 * imports, a reactor's `_initialize` of the wrong type, or a dependency cycle.
 */
export function planLink(main: LinkUnit, modules: readonly LinkUnit[]): LinkPlan {
  const byName = new Map(modules.map((m) => [m.name!, m]));
  const host = new HostImports();
  const dependencies = new Map<LinkUnit, LinkUnit[]>();
  for (const unit of [main, ...modules]) {
    const needs: LinkUnit[] = [];
    for (const imported of unit.imports) {
      const target = byName.get(imported.module);
      if (target === undefined) {
        host.add(unit, imported);
        continue;
      }
      checkLinkedImport(unit, imported, target);
      // A module import takes the nested module itself: nothing to instantiate first.
      const needsInstance = imported.field !== null || imported.type.kind !== Kind.Module;
      if (needsInstance && !needs.includes(target)) needs.push(target);
    }
    dependencies.set(unit, needs);
  }
  return {
    order: instantiationOrder(modules, dependencies),
    reactors: new Set(modules.filter(isReactor)),
    host: host.list(),
  };
}

/** A name in a message: quoted as a JSON string. */
function quote(name: string): string {
  return JSON.stringify(name);
}

/** Checks an import of `unit` that the linked module `target` satisfies. */
function checkLinkedImport(unit: LinkUnit, imported: CompiledImport, target: LinkUnit): void {
  const { module, field, type } = imported;
  if (field !== null) {
    checkField(unit, module, field, type, target);
    return;
  }
  const expected = formatEntityType(unit.tables, type);
  switch (type.kind) {
    case Kind.Instance:
      for (const e of unit.tables.instances[type.type].exports) {
        checkField(unit, module, e.name, e.type, target);
      }
      return;
    case Kind.Module: {
      const why = subtypeMismatch(target.tables, target.entity, unit.tables, type);
      if (why === null) return;
      throw new LinkToolError(
        `${unit.label} imports ${
          quote(module)
        } as ${expected}, but module ${target.name} does not match that type: ${why}`,
        { code: "mismatch" },
      );
    }
    case Kind.Func:
    case Kind.Table:
    case Kind.Memory:
    case Kind.Global:
    case Kind.Tag:
      throw new LinkToolError(
        `${unit.label} imports ${quote(module)} as ${expected} (a single-level ${
          kindName(type.kind)
        } import), but ${quote(module)} is a linked module: import it as an instance, ` +
          `as a module, or field by field (${quote(module)} "name")`,
        { code: "mismatch" },
      );
    default:
      return unreachable(type, "entity kind");
  }
}

/** Checks that `target` exports `field` with a subtype of `type` (a type of `unit`). */
function checkField(
  unit: LinkUnit,
  module: string,
  field: string,
  type: EntityType,
  target: LinkUnit,
): void {
  const what = `${unit.label} imports ${quote(module)} ${quote(field)}`;
  const got = exportOf(target, field);
  if (got === undefined) {
    const exports = target.type.exports;
    const list = exports.length > 0 ? `it exports: ${nameList(exports)}` : "it exports nothing";
    throw new LinkToolError(
      `${what}, but module ${target.name} exports no ${quote(field)}; ${list}`,
      { code: "missing-export" },
    );
  }
  if (subtypeMismatch(target.tables, got, unit.tables, type) === null) return;
  throw new LinkToolError(
    `${what} as ${formatEntityType(unit.tables, type)}, but module ${target.name} exports ${
      quote(field)
    } as ${formatEntityType(target.tables, got)}`,
    { code: "mismatch" },
  );
}

/** Whether `unit` exports `_initialize`; it must then be a `(func)`. */
function isReactor(unit: LinkUnit): boolean {
  const type = exportOf(unit, INITIALIZE);
  if (type === undefined) return false;
  if (type.kind === Kind.Func) {
    const func = unit.tables.funcs[type.type];
    if (func.params.length === 0 && func.results.length === 0) return true;
  }
  throw new LinkToolError(
    `module ${unit.name} exports ${quote(INITIALIZE)} as ${
      formatEntityType(unit.tables, type)
    }, but a reactor's ${quote(INITIALIZE)} must be (func): the linked module calls it ` +
      `with no arguments right after instantiating ${unit.name}`,
    { code: "reactor" },
  );
}

/**
 * The modules in the order given, as far as dependencies allow: each time,
 * the first module (in the order given) whose imports are all instantiated.
 */
function instantiationOrder(
  modules: readonly LinkUnit[],
  dependencies: ReadonlyMap<LinkUnit, readonly LinkUnit[]>,
): LinkUnit[] {
  const order: LinkUnit[] = [];
  const placed = new Set<LinkUnit>();
  const ready = (unit: LinkUnit) => dependencies.get(unit)!.every((d) => placed.has(d));
  while (order.length < modules.length) {
    const next = modules.find((m) => !placed.has(m) && ready(m));
    if (next === undefined) {
      throw cycleError(modules.find((m) => !placed.has(m))!, placed, dependencies);
    }
    order.push(next);
    placed.add(next);
  }
  return order;
}

/**
 * Names a cycle among the modules left: each of them waits for another one
 * left, so following those leads round a cycle.
 */
function cycleError(
  start: LinkUnit,
  placed: ReadonlySet<LinkUnit>,
  dependencies: ReadonlyMap<LinkUnit, readonly LinkUnit[]>,
): LinkToolError {
  const path: LinkUnit[] = [];
  let unit = start;
  while (!path.includes(unit)) {
    path.push(unit);
    unit = dependencies.get(unit)!.find((d) => !placed.has(d))!;
  }
  const cycle = [...path.slice(path.indexOf(unit)), unit].map((m) => m.name).join(" -> ");
  return new LinkToolError(`linked modules import each other in a cycle: ${cycle}`, {
    code: "cycle",
  });
}

/** Two types are the same when each is a subtype of the other. */
function sameType(a: Typed, b: Typed): boolean {
  return subtypeMismatch(a.tables, a.type, b.tables, b.type) === null &&
    subtypeMismatch(b.tables, b.type, a.tables, a.type) === null;
}

function formatTyped(t: Typed): string {
  return formatEntityType(t.tables, t.type);
}

type InstanceImport = Extract<HostImport, { form: "instance" }> & {
  readonly fields: Map<string, Typed>;
};

/** Gathers the imports left to the host, one per name, checking that their uses agree. */
class HostImports {
  readonly #byName = new Map<string, HostImport>();

  list(): HostImport[] {
    return [...this.#byName.values()];
  }

  add(unit: LinkUnit, imported: CompiledImport): void {
    const { module, field, type } = imported;
    if (field !== null) {
      this.#field(unit, module, field, type);
    } else if (type.kind === Kind.Instance) {
      // A single-level instance import joins the two-level imports of its name.
      this.#instance(unit, module);
      for (const e of unit.tables.instances[type.type].exports) {
        this.#field(unit, module, e.name, e.type);
      }
    } else {
      this.#single(unit, module, type);
    }
  }

  #instance(unit: LinkUnit, name: string): Map<string, Typed> {
    const found = this.#byName.get(name);
    if (found === undefined) {
      const fresh: InstanceImport = { form: "instance", name, fields: new Map(), by: unit.label };
      this.#byName.set(name, fresh);
      return fresh.fields;
    }
    if (found.form === "instance") return (found as InstanceImport).fields;
    throw new LinkToolError(
      `${quote(name)} is imported as ${formatTyped(found.item)} by ${found.item.by}, ` +
        `but as an instance (${quote(name)} "…") by ${unit.label}`,
      { code: "conflict" },
    );
  }

  #field(unit: LinkUnit, module: string, field: string, type: EntityType): void {
    const fields = this.#instance(unit, module);
    const typed: Typed = { tables: unit.tables, type, by: unit.label };
    const known = fields.get(field);
    if (known === undefined) {
      fields.set(field, typed);
    } else if (!sameType(known, typed)) {
      throw new LinkToolError(
        `${quote(module)} ${
          quote(field)
        } is imported with two different types: ${known.by} imports it as ${
          formatTyped(known)
        }, ${typed.by} as ${formatTyped(typed)}`,
        { code: "conflict" },
      );
    }
  }

  #single(unit: LinkUnit, name: string, type: EntityType): void {
    const typed: Typed = { tables: unit.tables, type, by: unit.label };
    const found = this.#byName.get(name);
    if (found === undefined) {
      this.#byName.set(name, { form: "single", name, item: typed });
    } else if (found.form === "instance") {
      throw new LinkToolError(
        `${quote(name)} is imported as an instance (${quote(name)} "…") by ${found.by}, ` +
          `but as ${formatTyped(typed)} by ${unit.label}`,
        { code: "conflict" },
      );
    } else if (!sameType(found.item, typed)) {
      throw new LinkToolError(
        `${quote(name)} is imported with two different types: ${found.item.by} imports it as ${
          formatTyped(found.item)
        }, ${typed.by} as ${formatTyped(typed)}`,
        { code: "conflict" },
      );
    }
  }
}
