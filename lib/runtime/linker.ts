/**
 * Host imports: checks the values a caller passes to `instantiate` against
 * the module's import types, with the same subtyping code as validation, and
 * turns plain objects into instances.
 *
 * Where a value's type cannot be known from JS (a function's signature, a
 * memory's maximum), what can be seen is checked here and V8 checks the rest
 * when the core module that imports it is instantiated.
 *
 * @module
 */

import { LinkError } from "../errors.ts";
import { formatEntityType } from "../format.ts";
import { subtypeMismatch } from "../subtype.ts";
import type { EntityType, TypeTables } from "../types.ts";
import { type ExportValue, Instance, instanceTypeOf } from "./instance.ts";
import { Module, moduleTypeOf } from "./module.ts";

/** The import object of `instantiate`: single-level names, or objects of two-level names. */
export type Imports = Readonly<Record<string, unknown>>;

/** Says what a host value is, for messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing (undefined)";
  if (value === null) return "null";
  if (typeof value === "function") return "a function";
  if (value instanceof Module) return "a Module";
  if (value instanceof Instance) return "an Instance";
  for (
    const name of ["Memory", "Table", "Global", "Instance", "Module"] as const
  ) {
    if (value instanceof WebAssembly[name]) return `a WebAssembly.${name}`;
  }
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

function quoted(names: readonly string[]): string {
  return names.map((n) => JSON.stringify(n)).join(" ");
}

function fail(
  names: readonly string[],
  reason: string,
  path: readonly string[],
): never {
  throw new LinkError(
    `incompatible import type for \`${names[0]}\`: import ${quoted(names)}: ${reason}`,
    path,
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
    path,
  );
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
  const mismatch: (what: string) => never = (what) =>
    fail(
      names,
      `expected ${formatEntityType(tables, expected)}, got ${what}`,
      path,
    );
  switch (expected.kind) {
    case 0:
      if (typeof value !== "function") mismatch(describeValue(value));
      return value;
    case 1:
      if (!(value instanceof WebAssembly.Table)) mismatch(describeValue(value));
      if (value.length < expected.type.limits.min) {
        mismatch(`a table of ${value.length} elements`);
      }
      return value;
    case 2: {
      if (!(value instanceof WebAssembly.Memory)) {
        mismatch(describeValue(value));
      }
      const pages = value.buffer.byteLength / 65536;
      if (pages < expected.type.limits.min) {
        mismatch(`a memory of ${pages} pages`);
      }
      return value;
    }
    case 3: {
      const plain = typeof value === "number" || typeof value === "bigint";
      if (
        !(value instanceof WebAssembly.Global) &&
        !(plain && !expected.type.mutable)
      ) {
        mismatch(describeValue(value));
      }
      return value;
    }
    case 5: {
      if (!(value instanceof Module)) return mismatch(describeValue(value));
      const got = moduleTypeOf(value);
      const why = subtypeMismatch(got.tables, got.type, tables, expected);
      if (why !== null) fail(names, why, path);
      return value;
    }
    case 6:
      return hostInstance(value, tables, expected.type, names, path);
  }
}

/** An instance import: an Instance, a `WebAssembly.Instance`, or an object of values. */
function hostInstance(
  value: unknown,
  tables: TypeTables,
  type: number,
  names: readonly string[],
  path: readonly string[],
): Instance {
  if (value instanceof Instance && instanceTypeOf(value) !== undefined) {
    checkTypedInstance(value, tables, type, names, path);
    return value;
  }
  const source = value instanceof Instance || value instanceof WebAssembly.Instance
    ? value.exports as Record<string, unknown>
    : value;
  if (
    source === null ||
    (typeof source !== "object" && typeof source !== "function")
  ) {
    fail(
      names,
      `expected an instance or an object of its exports ${
        formatEntityType(tables, { kind: 6, type })
      }, got ${describeValue(value)}`,
      path,
    );
  }
  const exports: Record<string, ExportValue> = Object.create(null);
  for (const e of tables.instances[type].exports) {
    const item = (source as Record<string, unknown>)[e.name];
    if (item === undefined) {
      throw missingImport([...names, e.name], tables, e.type, path);
    }
    exports[e.name] = hostImport(
      item,
      tables,
      e.type,
      [...names, e.name],
      path,
    ) as ExportValue;
  }
  return new Instance(Object.freeze(exports), { tables, type });
}

/**
 * An mlink instance: its static types are exact for funcs, globals, modules
 * and instances, but tables and memories may have grown since, and import
 * matching looks at their current size.
 */
function checkTypedInstance(
  value: Instance,
  tables: TypeTables,
  type: number,
  names: readonly string[],
  path: readonly string[],
): void {
  const known = instanceTypeOf(value)!;
  for (const want of tables.instances[type].exports) {
    const where = [...names, want.name];
    const have = known.tables.instanceExport(known.type, want.name);
    if (have === undefined) fail(names, `missing export ${JSON.stringify(want.name)}`, path);
    const actual = value.exports[want.name];
    let why: string | null;
    if (have.kind === 1 && actual instanceof WebAssembly.Table) {
      const limits = { min: actual.length, max: have.type.limits.max };
      why = subtypeMismatch(
        known.tables,
        { kind: 1, type: { ...have.type, limits } },
        tables,
        want.type,
      );
    } else if (have.kind === 2 && actual instanceof WebAssembly.Memory) {
      const limits = { min: actual.buffer.byteLength / 65536, max: have.type.limits.max };
      why = subtypeMismatch(
        known.tables,
        { kind: 2, type: { ...have.type, limits } },
        tables,
        want.type,
      );
    } else if (have.kind === 6 && want.type.kind === 6) {
      hostImport(actual, tables, want.type, where, path);
      why = null;
    } else {
      why = subtypeMismatch(known.tables, have, tables, want.type);
    }
    if (why !== null) fail(where, why, path);
  }
}
