/**
 * The prescan of a module's fields: what each field is, which identifiers
 * it declares (duplicates are errors), which local core definitions exist,
 * where inline alias sugar sits inside core code, and whether the module
 * uses module linking at all.
 *
 * @module
 */

import { type CoreKind, isCoreKind, Kind, kindName } from "../ir.ts";
import { inlineExports, isInlineExport } from "./desc.ts";
import { entityKind, perCoreKind, type SpaceKind } from "./kinds.ts";
import type { Scope } from "./scope.ts";
import type { SAtom, SExpr, SList } from "./sexpr.ts";
import { isAliasSugar, isOuterSugar } from "./sugar.ts";
import { Cursor, headKeyword, isAtom, isList, shortForm } from "./syntax.ts";

/** What a field is. */
export type FieldTag =
  | "type"
  | "import"
  | "module" // a nested module definition
  | "instance" // an instantiation
  | "alias"
  | "export"
  | "inline-import" // `(func $f (import "a" "b") …)` and the like
  | "inline-alias" // `(func $f (alias $i "x"))`, `(module $m (alias outer $M $m))`
  | "local" // a core definition: func, table, memory, global, tag
  | "core"; // elem, data, start

/** An inline alias (or inline outer type) inside core code. */
export interface SugarUse {
  list: SList;
  /** Replace only what follows the keyword (`(table $i "t")` in elem stays a `(table …)` clause). */
  inner: boolean;
}

/** One classified field. */
export interface Field {
  list: SList;
  head: string;
  tag: FieldTag;
  /** Kind of the item it defines (`Kind.Type` for types), if it defines one. */
  kind?: SpaceKind;
  id?: SAtom;
  /** For imports and aliases: the description `(kind $id? …)` of the item. */
  desc?: SList;
  /** Names of inline `(export "…")` abbreviations. */
  exports: SAtom[];
  /** The inline `(export "…")` lists themselves. */
  exportLists: SList[];
  /** Index of the first item after the identifier and inline exports. */
  rest: number;
  /** Ordinal among local definitions of its kind. */
  local?: number;
  /** Inline aliases inside a core field. */
  sugar: SugarUse[];
}

/** The prescan result. */
export interface Classified {
  fields: Field[];
  /** Whether the module uses any module-linking syntax. */
  moduleLinking: boolean;
  /** Whether it has core definitions (func/table/memory/global/tag bodies, elem, data, start). */
  coreDefs: boolean;
}

/** Classifies `items` (the fields of the module of `scope`) and declares their identifiers in `scope`. */
export function classify(scope: Scope, items: readonly SExpr[]): Classified {
  const prescan = new Prescan(scope);
  const fields: Field[] = [];
  for (const item of items) {
    const head = headKeyword(item);
    if (head === undefined) {
      throw scope.file.error(item.start, `expected a module field, found ${shortForm(item)}`);
    }
    const list = item as SList;
    const classifier = CLASSIFIERS.get(head);
    if (classifier === undefined) {
      throw scope.file.error(list.start, `unknown module field (${head} …)`);
    }
    const field: Field = {
      list,
      head,
      tag: "core",
      exports: [],
      exportLists: [],
      rest: 1,
      sugar: [],
    };
    classifier(field, prescan);
    fields.push(field);
  }
  return { fields, moduleLinking: prescan.moduleLinking, coreDefs: prescan.coreDefs };
}

/** What the prescan of one module learns beside its fields. */
class Prescan {
  /** The module's scope, where identifiers are declared. */
  readonly scope: Scope;
  /** Whether some field uses module-linking syntax. */
  moduleLinking = false;
  /** Whether some field is a core definition. */
  coreDefs = false;
  readonly #locals = perCoreKind(() => 0);

  constructor(scope: Scope) {
    this.scope = scope;
  }

  /** Declares identifier `id` (if any) of `kind`; `local` is a local definition's ordinal. */
  declare(kind: SpaceKind, id: SAtom | undefined, local?: number): void {
    if (id === undefined) return;
    const scope = this.scope;
    if (scope.declared.has(kind, id.text)) {
      throw scope.file.error(id.start, `duplicate ${kindName(kind)} ${id.text}`);
    }
    scope.declared.set(kind, id.text, { offset: id.start, local });
  }

  /** The ordinal of the next local definition of `kind`. */
  nextLocal(kind: CoreKind): number {
    return this.#locals[kind]++;
  }
}

/** Classifies one field, by its head keyword. */
type Classifier = (field: Field, prescan: Prescan) => void;

/** The classifier of each field head; a head not here is no module field. */
const CLASSIFIERS: ReadonlyMap<string, Classifier> = new Map([
  ["type", classifyType],
  ["import", classifyImport],
  ["alias", classifyAlias],
  ["export", classifyExport],
  ["elem", classifySegment],
  ["data", classifySegment],
  ["start", classifySegment],
  ["func", classifyDefinition],
  ["table", classifyDefinition],
  ["memory", classifyDefinition],
  ["global", classifyDefinition],
  ["tag", classifyDefinition],
  ["module", classifyDefinition],
  ["instance", classifyDefinition],
]);

/** `(type $id? (func …))`, or a module or instance type, or `(type $id (alias outer …))`. */
function classifyType(field: Field, prescan: Prescan): void {
  const c = new Cursor(field.list, prescan.scope.file);
  field.tag = "type";
  field.kind = Kind.Type;
  field.id = c.optionalId();
  field.rest = c.i;
  prescan.declare(Kind.Type, field.id);
  if (isInlineAlias(c.peek())) field.tag = "inline-alias";
  if (headKeyword(c.peek()) !== "func") prescan.moduleLinking = true;
}

/** `(import "a" "b"? (kind $id? …))`: only two-level imports of core kinds are core wasm. */
function classifyImport(field: Field, prescan: Prescan): void {
  field.tag = "import";
  const items = field.list.items;
  const twoLevel = isAtom(items[2], "string");
  const desc = items[twoLevel ? 3 : 2];
  const kind = entityKind(headKeyword(desc));
  if (!twoLevel || kind === undefined || !isCoreKind(kind) || hasOuterType(desc as SList)) {
    prescan.moduleLinking = true;
  }
  if (kind !== undefined) declareDescribed(field, prescan, kind, desc as SList);
}

/** `(alias … (kind $id?))`. */
function classifyAlias(field: Field, prescan: Prescan): void {
  field.tag = "alias";
  prescan.moduleLinking = true;
  const items = field.list.items;
  const desc = items[items.length - 1];
  const head = headKeyword(desc);
  const kind = head === "type" ? Kind.Type : entityKind(head);
  if (kind !== undefined) declareDescribed(field, prescan, kind, desc as SList);
}

/** An import or alias declares the item its description names: `(kind $id? …)`. */
function declareDescribed(field: Field, prescan: Prescan, kind: SpaceKind, desc: SList): void {
  field.kind = kind;
  field.desc = desc;
  const id = desc.items[1];
  field.id = isAtom(id, "id") ? id : undefined;
  prescan.declare(kind, field.id);
}

/** `(export "name" (kind ref))`: core wasm when it exports a core item by plain reference. */
function classifyExport(field: Field, prescan: Prescan): void {
  field.tag = "export";
  const desc = field.list.items[2];
  const kind = entityKind(headKeyword(desc));
  if (
    kind === undefined || !isCoreKind(kind) || isAliasSugar(desc as SList) ||
    isOuterSugar(desc as SList)
  ) {
    prescan.moduleLinking = true;
  }
}

/** `(elem …)`, `(data …)` and `(start …)`: core definitions, which may hold inline aliases. */
function classifySegment(field: Field, prescan: Prescan): void {
  prescan.coreDefs = true;
  field.sugar = findSugar(field.list, 1, field.head !== "start");
  if (field.sugar.length > 0) prescan.moduleLinking = true;
}

/**
 * `(kind $id? (export "e")* …)` for an entity kind: an inline import or
 * alias, a nested module or an instance, or a local core definition.
 */
function classifyDefinition(field: Field, prescan: Prescan): void {
  const list = field.list;
  const kind = entityKind(field.head)!;
  const c = new Cursor(list, prescan.scope.file);
  field.kind = kind;
  field.id = c.optionalId();
  const from = c.i;
  field.exports = inlineExports(c);
  field.rest = c.i;
  field.exportLists = list.items.slice(from, c.i) as SList[];
  if (field.exports.length > 0 && !isCoreKind(kind)) prescan.moduleLinking = true;
  const next = c.peek();
  if (isInlineImport(next)) {
    field.tag = "inline-import";
    if (!isCoreKind(kind) || next.items.length < 3 || hasOuterType(list)) {
      prescan.moduleLinking = true;
    }
    prescan.declare(kind, field.id);
  } else if (isInlineAlias(next)) {
    field.tag = "inline-alias";
    prescan.moduleLinking = true;
    prescan.declare(kind, field.id);
  } else if (!isCoreKind(kind)) {
    field.tag = kind === Kind.Module ? "module" : "instance";
    prescan.moduleLinking = true;
    prescan.declare(kind, field.id);
  } else {
    field.tag = "local";
    field.local = prescan.nextLocal(kind);
    prescan.coreDefs = true;
    prescan.declare(kind, field.id, field.local);
    field.sugar = findSugar(list, field.rest, false);
    if (field.sugar.length > 0) prescan.moduleLinking = true;
  }
}

/**
 * Whether a func/table/memory/global/tag field defines its item locally,
 * rather than importing or aliasing it with an inline `(import …)` or `(alias …)`.
 */
export function isCoreDefinition(list: SList): boolean {
  let i = 1;
  if (isAtom(list.items[i], "id")) i++;
  while (isInlineExport(list.items[i])) i++;
  return !isInlineImport(list.items[i]) && !isInlineAlias(list.items[i]);
}

/** `(import "a" "b"?)` with nothing but names: the inline import abbreviation. */
function isInlineImport(e: SExpr | undefined): e is SList {
  if (!isList(e, "import") || e.items.length < 2 || e.items.length > 3) return false;
  return e.items.slice(1).every((x) => isAtom(x, "string"));
}

/**
 * `(alias $i "x")`, `(alias (instance $i "a") "x")` or `(alias outer $M $x)`
 * without a description: the inverted alias form.
 */
function isInlineAlias(e: SExpr | undefined): e is SList {
  return isList(e, "alias") &&
    e.items.every((x, i) => x.type === "atom" || (i === 1 && isList(x, "instance")));
}

/** Whether a description uses `(type outer …)` directly. */
function hasOuterType(list: SList): boolean {
  return list.items.some((e) => isList(e, "type") && isOuterSugar(e));
}

/**
 * Finds inline aliases in the items of `list` from `from` on, not looking
 * inside them. With `clauses`, a direct `(table …)`/`(memory …)` child is a
 * segment's table or memory clause, whose keyword stays.
 */
function findSugar(list: SList, from: number, clauses: boolean): SugarUse[] {
  const found: SugarUse[] = [];
  const stack: SList[] = [];
  const visit = (e: SExpr, direct: boolean) => {
    if (e.type !== "list" || isInlineExport(e)) return;
    if (isAliasSugar(e)) {
      const head = headKeyword(e);
      found.push({ list: e, inner: direct && clauses && (head === "table" || head === "memory") });
    } else if (isOuterSugar(e)) {
      found.push({ list: e, inner: true });
    } else {
      stack.push(e);
    }
  };
  for (let i = from; i < list.items.length; i++) visit(list.items[i], true);
  // An explicit stack: folded instructions can nest deeper than the call stack allows.
  while (stack.length > 0) for (const e of stack.pop()!.items) visit(e, false);
  if (found.length > 1) found.sort((a, b) => a.list.start - b.list.start);
  return found;
}
