/**
 * Host imports: checks the values a caller passes to `instantiate` against
 * the module's import types, with the same subtyping code as validation, and
 * turns plain objects into instances.
 *
 * Where a value's type cannot be known from JS (a function's signature, a
 * memory's maximum), what can be seen is checked here and V8 checks the rest
 * when the core module that imports it is instantiated.
 *
 * Host objects are read through their own properties only, so that an
 * import named `constructor` or `toString` is missing from `{}` rather than
 * found on `Object.prototype`.
 *
 * @module
 */

import { LinkError } from "../errors.ts";
import { formatEntityType } from "../format.ts";
import { Kind, unreachable } from "../ir.ts";
import { subtypeMismatch } from "../subtype.ts";
import type { EntityType, NamedType, TypeTables } from "../types.ts";
import {
  type ExportValue,
  type Instance,
  instanceTypeOf,
  isInstance,
  typedInstance,
} from "./instance.ts";
import { type InstanceTypeRef, isModule, moduleTypeOf } from "./module.ts";
import { isTag } from "./tag.ts";

/** The import object of `instantiate`: single-level names, or objects of two-level names. */
export type Imports = Readonly<Record<string, unknown>>;

/** Says what a host value is, for messages. */
function describeValue(value: unknown): string {
  if (value === undefined) return "nothing (undefined)";
  if (value === null) return "null";
  if (typeof value === "function") return "a function";
  if (isModule(value)) return "a Module";
  if (isInstance(value)) return "an Instance";
  if (isTag(value)) return "a WebAssembly.Tag";
  for (
    const name of ["Memory", "Table", "Global", "Instance", "Module"] as const
  ) {
    if (value instanceof WebAssembly[name]) return `a WebAssembly.${name}`;
  }
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

/** Import names for a message; a path thousands deep keeps its two ends. */
function quoted(names: readonly string[]): string {
  const shown = names.length <= 12 ? names.map((n) => JSON.stringify(n)) : [
    ...names.slice(0, 6).map((n) => JSON.stringify(n)),
    `… (${names.length - 12} more)`,
    ...names.slice(-6).map((n) => JSON.stringify(n)),
  ];
  return shown.join(" ");
}

function fail(
  names: readonly string[],
  reason: string,
  path: readonly string[],
): never {
  throw new LinkError(
    `incompatible import type for \`${names[0]}\`: import ${quoted(names)}: ${reason}`,
    { path },
  );
}

/** The error for an import the caller did not provide. */
export function missingImport(
  names: readonly string[],
  tables: TypeTables,
  expected: EntityType,
  path: readonly string[],
): LinkError {
  return new LinkError(
    `unknown import: import ${quoted(names)} was not provided; expected ${
      formatEntityType(tables, expected)
    }`,
    { path },
  );
}

/** A host object's own property `name`; `undefined` when it has none. */
function own(source: object, name: string): unknown {
  return Object.hasOwn(source, name) ? (source as Record<string, unknown>)[name] : undefined;
}

/**
 * The current size of a table or memory, or `undefined` when `value` is
 * none. `instanceof` is not enough: `Object.create(WebAssembly.Table.prototype)`
 * passes it, and its getters throw.
 */
function tableLength(value: unknown): number | undefined {
  if (!(value instanceof WebAssembly.Table)) return undefined;
  try {
    return value.length;
  } catch {
    return undefined;
  }
}

function memoryPages(value: unknown): number | undefined {
  if (!(value instanceof WebAssembly.Memory)) return undefined;
  try {
    return value.buffer.byteLength / 65536;
  } catch {
    return undefined;
  }
}

/** The exports of a `WebAssembly.Instance`, or `undefined` when `value` is none. */
function wasmInstanceExports(value: unknown): object | undefined {
  if (!(value instanceof WebAssembly.Instance)) return undefined;
  try {
    return value.exports;
  } catch {
    return undefined;
  }
}

/**
 * Checks host value `value` against import type `expected` and returns the
 * value the runtime will use. `names` is the import's path of names (for
 * messages), `path` the nested modules being instantiated.
 */
export function hostImport(
  value: unknown,
  tables: TypeTables,
  expected: EntityType,
  names: readonly string[],
  path: readonly string[],
): unknown {
  if (expected.kind === Kind.Instance) {
    return hostInstance(value, tables, expected.type, names, path);
  }
  const why = valueMismatch(value, tables, expected);
  if (why !== null) fail(names, why, path);
  return value;
}

/**
 * Why host value `value` cannot be imported as `expected` (any kind but an
 * instance), or `null` when it can.
 */
function valueMismatch(
  value: unknown,
  tables: TypeTables,
  expected: Exclude<EntityType, { kind: typeof Kind.Instance }>,
): string | null {
  const wanted = () => `expected ${formatEntityType(tables, expected)}, got `;
  switch (expected.kind) {
    case Kind.Func:
      return typeof value === "function" ? null : wanted() + describeValue(value);
    case Kind.Table: {
      const length = tableLength(value);
      if (length === undefined) return wanted() + describeValue(value);
      return length < expected.type.limits.min ? wanted() + `a table of ${length} elements` : null;
    }
    case Kind.Memory: {
      const pages = memoryPages(value);
      if (pages === undefined) return wanted() + describeValue(value);
      return pages < expected.type.limits.min ? wanted() + `a memory of ${pages} pages` : null;
    }
    case Kind.Global: {
      const plain = typeof value === "number" || typeof value === "bigint";
      return value instanceof WebAssembly.Global || (plain && !expected.type.mutable)
        ? null
        : wanted() + describeValue(value);
    }
    case Kind.Tag:
      // Its type is V8's to check, when a core module imports it.
      return isTag(value) ? null : wanted() + describeValue(value);
    case Kind.Module: {
      if (!isModule(value)) return wanted() + describeValue(value);
      const got = moduleTypeOf(value);
      return subtypeMismatch(got.tables, got.type, tables, expected);
    }
    default:
      return unreachable(expected, "import kind");
  }
}

/**
 * An instance being matched against an instance type, on the explicit
 * stack of an {@linkcode InstanceMatch}. Either an mlink instance whose
 * static type `known` is checked (`typed`), or an object whose exports are
 * checked and collected into a new instance (`exports`).
 */
interface Pending {
  /** The instance this one is an export of; `null` for the import itself. */
  readonly parent: Pending | null;
  /** Its export name in `parent`. */
  readonly name: string;
  readonly type: number;
  readonly wanted: readonly NamedType[];
  next: number;
  readonly typed: Instance | null;
  readonly known: InstanceTypeRef | null;
  readonly source: object | null;
  readonly exports: Record<string, ExportValue> | null;
}

/**
 * An instance import: an Instance, a `WebAssembly.Instance`, or an object of
 * values. Instance types nest up to `MAX_TYPE_DEPTH` (1,000) levels, and a
 * host object (a cyclic one, say) follows them all the way down, so nested
 * instances are walked with an explicit stack, not by recursion.
 */
function hostInstance(
  value: unknown,
  tables: TypeTables,
  type: number,
  names: readonly string[],
  path: readonly string[],
): Instance {
  return new InstanceMatch(tables, names, path).run(value, type);
}

/** One instance import being matched against its type; see {@linkcode hostInstance}. */
class InstanceMatch {
  readonly #stack: Pending[] = [];
  readonly #tables: TypeTables;
  readonly #names: readonly string[];
  readonly #path: readonly string[];

  constructor(tables: TypeTables, names: readonly string[], path: readonly string[]) {
    this.#tables = tables;
    this.#names = names;
    this.#path = path;
  }

  /** Matches `value` against instance type `type`; the instance it stands for. */
  run(value: unknown, type: number): Instance {
    const stack = this.#stack;
    this.#enter(value, type, null, "");
    for (;;) {
      const top = stack[stack.length - 1];
      if (top.next < top.wanted.length) {
        this.#matchExport(top, top.wanted[top.next++]);
        continue;
      }
      stack.pop();
      const done = top.typed ??
        typedInstance(Object.freeze(top.exports!), { tables: this.#tables, type: top.type });
      if (top.parent === null) return done;
      if (top.parent.exports !== null) top.parent.exports[top.name] = done;
    }
  }

  /** Checks export `want` of pending instance `top`, entering it when it is an instance. */
  #matchExport(top: Pending, want: NamedType): void {
    const tables = this.#tables;
    if (top.typed !== null) {
      const nested = checkTypedExport(
        top.typed,
        top.known!,
        want,
        tables,
        () => this.#namesOf(top),
        this.#path,
      );
      if (nested !== null) {
        this.#enter(top.typed.exports[want.name], want.type.type as number, top, want.name, nested);
      }
      return;
    }
    const item = own(top.source!, want.name);
    if (item === undefined) {
      throw missingImport(this.#namesOf(top, want.name), tables, want.type, this.#path);
    }
    if (want.type.kind === Kind.Instance) {
      this.#enter(item, want.type.type, top, want.name);
      return;
    }
    const why = valueMismatch(item, tables, want.type);
    if (why !== null) fail(this.#namesOf(top, want.name), why, this.#path);
    top.exports![want.name] = item as ExportValue;
  }

  /**
   * Pushes `value`, export `name` of `parent`, to be matched against
   * instance type `type`. `claimed` is the type a typed parent gives it:
   * what an instance made of exports (which has no type of its own) is
   * checked by when it is reached through one.
   */
  #enter(
    value: unknown,
    type: number,
    parent: Pending | null,
    name: string,
    claimed?: InstanceTypeRef,
  ): void {
    const tables = this.#tables;
    const wanted = tables.instances[type].exports;
    const known = isInstance(value) ? instanceTypeOf(value) ?? claimed : undefined;
    if (known !== undefined) {
      this.#stack.push({
        parent,
        name,
        type,
        wanted,
        next: 0,
        typed: value as Instance,
        known,
        source: null,
        exports: null,
      });
      return;
    }
    const source = isInstance(value) ? value.exports : wasmInstanceExports(value) ?? value;
    if (source === null || (typeof source !== "object" && typeof source !== "function")) {
      const at = parent === null ? this.#names : this.#namesOf(parent, name);
      fail(
        at,
        `expected an instance or an object of its exports ${
          formatEntityType(tables, { kind: Kind.Instance, type })
        }, got ${describeValue(value)}`,
        this.#path,
      );
    }
    const exports: Record<string, ExportValue> = Object.create(null);
    this.#stack.push({
      parent,
      name,
      type,
      wanted,
      next: 0,
      typed: null,
      known: null,
      source,
      exports,
    });
  }

  /** The import names of a pending instance (and its export `last`), made only for an error message. */
  #namesOf(pending: Pending | null, last?: string): string[] {
    const tail: string[] = last === undefined ? [] : [last];
    for (let p = pending; p !== null && p.parent !== null; p = p.parent) tail.push(p.name);
    return [...this.#names, ...tail.reverse()];
  }
}

/**
 * Checks export `want` of an mlink instance against its static type
 * `known`: exact for funcs, globals, tags, modules and instances, but tables
 * and memories may have grown since, and import matching looks at their
 * current size. Returns the static type of a nested instance, which the
 * caller checks in turn; `null` for anything else.
 */
function checkTypedExport(
  value: Instance,
  known: InstanceTypeRef,
  want: NamedType,
  tables: TypeTables,
  namesOf: () => string[],
  path: readonly string[],
): InstanceTypeRef | null {
  const have = known.tables.instanceExport(known.type, want.name);
  if (have === undefined) fail(namesOf(), `missing export ${JSON.stringify(want.name)}`, path);
  if (have.kind === Kind.Instance && want.type.kind === Kind.Instance) {
    return { tables: known.tables, type: have.type };
  }
  const why = subtypeMismatch(
    known.tables,
    withCurrentSize(have, value.exports[want.name]),
    tables,
    want.type,
  );
  if (why !== null) fail([...namesOf(), want.name], why, path);
  return null;
}

/**
 * A table's or memory's static type with its minimum raised to `actual`'s
 * current size, when `actual` is one; any other type as it is.
 */
function withCurrentSize(have: EntityType, actual: unknown): EntityType {
  if (have.kind === Kind.Table) {
    const length = tableLength(actual);
    if (length === undefined) return have;
    const limits = { min: length, max: have.type.limits.max };
    return { kind: Kind.Table, type: { ...have.type, limits } };
  }
  if (have.kind === Kind.Memory) {
    const pages = memoryPages(actual);
    if (pages === undefined) return have;
    const limits = { min: pages, max: have.type.limits.max };
    return { kind: Kind.Memory, type: { ...have.type, limits } };
  }
  return have;
}
