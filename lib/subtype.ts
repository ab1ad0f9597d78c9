/**
 * Subtyping of entity types: the one implementation behind both static
 * validation of `instantiate` arguments and run-time import matching.
 *
 * Types can be large and deep, and come from untrusted binaries, artifacts
 * and host values, so the check walks them with an explicit stack (no
 * recursion, whatever the depth) and remembers every pair of module or
 * instance types it has proven, so that no pair is checked twice: a type
 * shared by many imports, or by many parts of one type, costs its size once.
 * What is left, many different large types, a compile bounds with a
 * {@linkcode SubtypeBudget}.
 *
 * @module
 */

import { Kind, type Limits, unreachable } from "./ir.ts";
import { formatEntityType, kindName } from "./format.ts";
import { MAX_SUBTYPE_WORK, MAX_TYPE_DEPTH } from "./limits.ts";
import {
  type CoreEntityType,
  type EntityType,
  type FuncType,
  isCoreEntityType,
  type NamedType,
  type TypeTables,
} from "./types.ts";

/** The kinds whose types have named members, compared member by member: module and instance. */
type CompositeKind = typeof Kind.Module | typeof Kind.Instance;

/**
 * Pairs (got, expected) of module types and of instance types proven to be
 * subtypes. A type is mostly checked against one other: that one is kept
 * as a number, and only a second makes a set.
 */
class ProvenPairs {
  readonly #modules = new Map<number, number | Set<number>>();
  readonly #instances = new Map<number, number | Set<number>>();

  #pairs(kind: CompositeKind): Map<number, number | Set<number>> {
    return kind === Kind.Module ? this.#modules : this.#instances;
  }

  has(kind: CompositeKind, got: number, expected: number): boolean {
    const found = this.#pairs(kind).get(got);
    return found === expected || (typeof found === "object" && found.has(expected));
  }

  add(kind: CompositeKind, got: number, expected: number): void {
    const map = this.#pairs(kind);
    const found = map.get(got);
    if (found === undefined) map.set(got, expected);
    else if (typeof found === "number") map.set(got, new Set([found, expected]));
    else found.add(expected);
  }
}

// Proven pairs by the tables of `got`, then by those of `expected`. Types
// never change once interned or restored, so what was proven stays true for
// as long as the tables live.
const provenByTables = new WeakMap<TypeTables, WeakMap<TypeTables, ProvenPairs>>();

function provenPairs(got: TypeTables, expected: TypeTables): ProvenPairs {
  let inner = provenByTables.get(got);
  if (inner === undefined) {
    inner = new WeakMap();
    provenByTables.set(got, inner);
  }
  let pairs = inner.get(expected);
  if (pairs === undefined) {
    pairs = new ProvenPairs();
    inner.set(expected, pairs);
  }
  return pairs;
}

/** What checking one pair of module or instance types costs, beyond its members. */
const PAIR_COST = 16;

/**
 * What subtype checks may still spend, in member comparisons: one budget
 * serves every check of one compile (see {@linkcode MAX_SUBTYPE_WORK}).
 *
 * @example
 * ```ts
 * import { SubtypeBudget } from "./subtype.ts";
 * const budget = new SubtypeBudget(); // pass it to each subtypeMismatch call
 * ```
 */
export class SubtypeBudget {
  /** Comparisons in all. */
  readonly total: number;
  /** Comparisons left. */
  left: number;

  /** A budget of `total` comparisons. */
  constructor(total: number = MAX_SUBTYPE_WORK) {
    this.total = total;
    this.left = total;
  }

  /** Spends `cost`; false when that overdraws the budget. */
  spend(cost: number): boolean {
    this.left -= cost;
    return this.left >= 0;
  }

  /** Why a check stopped when the budget ran out. */
  reason(): string {
    return `the types are too costly to compare: checks have compared more than ${this.total} members`;
  }
}

/**
 * One pair of module or instance types being compared: its members are
 * checked one `step` at a time. For a module type, steps first go through
 * the imports of `got` (contravariant: the tables swap), then through the
 * exports of `expected`; for an instance type, through the exports of
 * `expected`.
 */
interface Frame {
  readonly kind: CompositeKind;
  readonly gotTables: TypeTables;
  readonly got: number;
  readonly expectedTables: TypeTables;
  readonly expected: number;
  /** How this pair was reached from the frame below, e.g. `export "f"`. */
  readonly label: string;
  step: number;
}

/**
 * Checks that `got` (a type of `gotTables`) is a subtype of `expected`
 * (a type of `expectedTables`): `got` may be used where `expected` is asked
 * for. Returns `null` when it is, otherwise a reason a person can act on,
 * e.g. `export "f": expected (func (param i32)), got (func)`. Types nested
 * more than {@linkcode MAX_TYPE_DEPTH} deep (only a damaged artifact's can
 * be) are a mismatch too. It never recurses, so no type is too deep for it.
 * With a `budget`, running out of it is a mismatch that names the limit.
 *
 * @example
 * ```ts
 * import { Kind, ValType } from "./ir.ts";
 * import { TypeTables } from "./types.ts";
 * import { subtypeMismatch } from "./subtype.ts";
 * const t = new TypeTables();
 * const f = { kind: Kind.Func, type: t.func([ValType.I32], []) } as const;
 * const g = { kind: Kind.Func, type: t.func([], []) } as const;
 * subtypeMismatch(t, g, t, f); // "expected (func (param i32)), got (func)"
 * ```
 */
export function subtypeMismatch(
  gotTables: TypeTables,
  got: EntityType,
  expectedTables: TypeTables,
  expected: EntityType,
  budget?: SubtypeBudget,
): string | null {
  const stack: Frame[] = [];
  // The proven pairs of the two directions a check can take.
  const forward = provenPairs(gotTables, expectedTables);
  const backward = gotTables === expectedTables ? forward : provenPairs(expectedTables, gotTables);
  const proven = (tables: TypeTables) => tables === gotTables ? forward : backward;
  // Compares one pair: null when it holds or a frame was pushed to check
  // it, else the reason it does not hold.
  const compare = (
    gotIn: TypeTables,
    gotType: EntityType,
    expectedIn: TypeTables,
    expectedType: EntityType,
    label: string,
  ): string | null => {
    if (gotType.kind !== expectedType.kind) {
      return `expected ${kindName(expectedType.kind)}, got ${kindName(gotType.kind)}`;
    }
    if (isCoreEntityType(gotType)) {
      return leafMismatch(gotIn, gotType, expectedIn, expectedType as CoreEntityType);
    }
    const expectedIndex = expectedType.type as number;
    // Interned types: the same index in the same tables is the same type.
    if (gotIn === expectedIn && gotType.type === expectedIndex) return null;
    if (proven(gotIn).has(gotType.kind, gotType.type, expectedIndex)) return null;
    if (stack.length >= MAX_TYPE_DEPTH) {
      return `the types nest more than ${MAX_TYPE_DEPTH} deep`;
    }
    if (budget !== undefined && !budget.spend(PAIR_COST)) return budget.reason();
    stack.push({
      kind: gotType.kind,
      gotTables: gotIn,
      got: gotType.type,
      expectedTables: expectedIn,
      expected: expectedIndex,
      label,
      step: 0,
    });
    return null;
  };

  let why: string | null | undefined = compare(gotTables, got, expectedTables, expected, "");
  while (why === null && stack.length > 0) {
    const top = stack[stack.length - 1];
    if (budget !== undefined && !budget.spend(1)) {
      why = budget.reason();
      break;
    }
    why = nextStep(top, compare);
    if (why === undefined) {
      // Every member matched.
      proven(top.gotTables).add(top.kind, top.got, top.expected);
      stack.pop();
      why = null;
    }
  }
  if (why === null) return null;
  return pathOf(stack) + why;
}

/** Compares one pair of entity types, each in its tables, reached through `label`. */
type Compare = (
  gotIn: TypeTables,
  gotType: EntityType,
  expectedIn: TypeTables,
  expectedType: EntityType,
  label: string,
) => string | null;

/**
 * Takes the next step of `frame`: null when it matched (or pushed a frame
 * to find out), a reason when it did not, undefined when no step is left.
 */
function nextStep(frame: Frame, compare: Compare): string | null | undefined {
  const { gotTables, expectedTables } = frame;
  if (frame.kind === Kind.Module) {
    const gotModule = gotTables.modules[frame.got];
    if (frame.step < gotModule.imports.length) {
      // Imports are contravariant: the provided module may import less, and
      // what it imports must accept what the expected module type promises.
      const imp = gotModule.imports[frame.step++];
      const offered = expectedTables.moduleImport(frame.expected, imp.name);
      const label = `import ${JSON.stringify(imp.name)}`;
      if (offered === undefined) {
        return `module imports ${
          JSON.stringify(imp.name)
        }, which the expected module type does not provide`;
      }
      return labelled(label, compare(expectedTables, offered, gotTables, imp.type, label));
    }
    const wanted = expectedTables.modules[frame.expected].exports;
    const i = frame.step++ - gotModule.imports.length;
    if (i >= wanted.length) return undefined;
    return exportStep(frame, wanted[i], gotTables.moduleExport(frame.got, wanted[i].name), compare);
  }
  const wanted = expectedTables.instances[frame.expected].exports;
  const i = frame.step++;
  if (i >= wanted.length) return undefined;
  return exportStep(frame, wanted[i], gotTables.instanceExport(frame.got, wanted[i].name), compare);
}

function exportStep(
  frame: Frame,
  want: NamedType,
  have: EntityType | undefined,
  compare: Compare,
): string | null {
  // Exports are looked up by name: with subtyping, positions do not line up.
  if (have === undefined) return `missing export ${JSON.stringify(want.name)}`;
  const label = `export ${JSON.stringify(want.name)}`;
  return labelled(
    label,
    compare(frame.gotTables, have, frame.expectedTables, want.type, label),
  );
}

function labelled(label: string, why: string | null): string | null {
  return why === null ? null : `${label}: ${why}`;
}

/** Frames shown at each end of a long path in a message. */
const PATH_ENDS = 6;

/** `import "a": export "b": ` for the frames above the first; long paths keep their ends. */
function pathOf(stack: readonly Frame[]): string {
  const labels = stack.slice(1).map((f) => f.label);
  if (labels.length > 2 * PATH_ENDS) {
    const skipped = labels.length - 2 * PATH_ENDS;
    labels.splice(PATH_ENDS, skipped, `… (${skipped} more levels)`);
  }
  return labels.map((l) => `${l}: `).join("");
}

/** Subtyping of funcs, tables, memories, globals and tags, `got` and `expected` of one kind. */
function leafMismatch(
  gotTables: TypeTables,
  got: CoreEntityType,
  expectedTables: TypeTables,
  expected: CoreEntityType,
): string | null {
  let fits: boolean;
  switch (got.kind) {
    case Kind.Func:
    case Kind.Tag:
      // A tag matches only a tag of the same type: it is both thrown and caught.
      fits = sameFuncType(
        gotTables.funcs[got.type],
        expectedTables.funcs[expected.type as number],
      );
      break;
    case Kind.Table: {
      const e = expected as typeof got;
      fits = got.type.elem === e.type.elem && limitsFit(got.type.limits, e.type.limits);
      break;
    }
    case Kind.Memory: {
      const e = expected as typeof got;
      fits = got.type.shared === e.type.shared &&
        got.type.memory64 === e.type.memory64 &&
        limitsFit(got.type.limits, e.type.limits);
      break;
    }
    case Kind.Global: {
      const e = expected as typeof got;
      fits = got.type.type === e.type.type && got.type.mutable === e.type.mutable;
      break;
    }
    default:
      return unreachable(got, "core entity type");
  }
  if (fits) return null;
  return `expected ${formatEntityType(expectedTables, expected)}, got ${
    formatEntityType(gotTables, got)
  }`;
}

function sameFuncType(a: FuncType, b: FuncType): boolean {
  return sameList(a.params, b.params) && sameList(a.results, b.results);
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
