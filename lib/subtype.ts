/**
 * Subtyping of entity types: the one implementation behind both static
 * validation of `instantiate` arguments and run-time import matching.
 *
 * @module
 */

import type { Limits } from "./ir.ts";
import { formatEntityType, kindName } from "./format.ts";
import type { EntityType, NamedType, TypeTables } from "./types.ts";

/**
 * Checks that `got` (a type of `gotTables`) is a subtype of `expected`
 * (a type of `expectedTables`): `got` may be used where `expected` is asked
 * for. Returns `null` when it is, otherwise a reason a person can act on,
 * e.g. `export "f": expected (func (param i32)), got (func)`.
 *
 * @example
 * ```ts
 * import { TypeTables } from "./types.ts";
 * import { subtypeMismatch } from "./subtype.ts";
 * const t = new TypeTables();
 * const f = { kind: 0, type: t.func([0x7f], []) } as const;
 * const g = { kind: 0, type: t.func([], []) } as const;
 * subtypeMismatch(t, g, t, f); // "expected (func (param i32)), got (func)"
 * ```
 */
export function subtypeMismatch(
  gotTables: TypeTables,
  got: EntityType,
  expectedTables: TypeTables,
  expected: EntityType,
): string | null {
  const whole = () =>
    `expected ${formatEntityType(expectedTables, expected)}, got ${
      formatEntityType(gotTables, got)
    }`;
  if (got.kind !== expected.kind) {
    return `expected ${kindName(expected.kind)}, got ${kindName(got.kind)}`;
  }
  // Interned types: the same index in the same tables is the same type.
  if (
    gotTables === expectedTables &&
    (got.kind === 0 || got.kind === 5 || got.kind === 6) &&
    got.type === expected.type
  ) return null;
  switch (got.kind) {
    case 0: {
      const g = gotTables.funcs[got.type];
      const e = expectedTables.funcs[expected.type as number];
      return sameList(g.params, e.params) && sameList(g.results, e.results) ? null : whole();
    }
    case 1: {
      const e = expected as typeof got;
      return got.type.elem === e.type.elem &&
          limitsFit(got.type.limits, e.type.limits)
        ? null
        : whole();
    }
    case 2: {
      const e = expected as typeof got;
      return got.type.shared === e.type.shared &&
          got.type.memory64 === e.type.memory64 &&
          limitsFit(got.type.limits, e.type.limits)
        ? null
        : whole();
    }
    case 3: {
      const e = expected as typeof got;
      return got.type.type === e.type.type &&
          got.type.mutable === e.type.mutable
        ? null
        : whole();
    }
    case 5: {
      const g = gotTables.modules[got.type];
      const e = expectedTables.modules[expected.type as number];
      // Imports are contravariant: the provided module may import less, and
      // what it imports must accept what the expected module type promises.
      const offeredByName = namedMap(e.imports);
      for (const imp of g.imports) {
        const offered = offeredByName.get(imp.name);
        if (offered === undefined) {
          return `module imports ${
            JSON.stringify(imp.name)
          }, which the expected module type does not provide`;
        }
        const why = subtypeMismatch(
          expectedTables,
          offered,
          gotTables,
          imp.type,
        );
        if (why !== null) return `import ${JSON.stringify(imp.name)}: ${why}`;
      }
      return exportsMismatch(gotTables, g.exports, expectedTables, e.exports);
    }
    case 6: {
      const e = expectedTables.instances[expected.type as number];
      const g = gotTables.instances[got.type];
      return exportsMismatch(
        gotTables,
        g.exports,
        expectedTables,
        e.exports,
        got.type,
      );
    }
  }
}

function exportsMismatch(
  gotTables: TypeTables,
  got: readonly NamedType[],
  expectedTables: TypeTables,
  expected: readonly NamedType[],
  gotInstance?: number,
): string | null {
  // Look exports up by name: with subtyping, positions do not line up.
  const gotByName = gotInstance === undefined ? namedMap(got) : undefined;
  for (const want of expected) {
    const have = gotByName === undefined
      ? gotTables.instanceExport(gotInstance!, want.name)
      : gotByName.get(want.name);
    if (have === undefined) {
      return `missing export ${JSON.stringify(want.name)}`;
    }
    const why = subtypeMismatch(gotTables, have, expectedTables, want.type);
    if (why !== null) return `export ${JSON.stringify(want.name)}: ${why}`;
  }
  return null;
}

function namedMap(list: readonly NamedType[]): Map<string, EntityType> {
  const map = new Map<string, EntityType>();
  for (const item of list) {
    if (!map.has(item.name)) map.set(item.name, item.type);
  }
  return map;
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function limitsFit(got: Limits, expected: Limits): boolean {
  if (got.min < expected.min) return false;
  if (expected.max === undefined) return true;
  return got.max !== undefined && got.max <= expected.max;
}
