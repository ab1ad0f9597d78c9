/**
 * The prescan of a module's fields: what each field is, which identifiers
 * it declares (duplicates are errors), which local core definitions exist,
 * where inline alias sugar sits inside core code, and whether the module
 * uses module linking at all.
 *
 * @module
 */

import { entityKind, inlineExports, isInlineExport } from "./desc.ts";
import { type Scope, TYPE } from "./scope.ts";
import type { SAtom, SExpr, SList } from "./sexpr.ts";
import { isAliasSugar, isOuterSugar } from "./sugar.ts";
import { Cursor, headOf, isAtom, isList, show } from "./syntax.ts";
import { kindName } from "./types.ts";

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
  | "local" // a core definition: func, table, memory, global
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
  /** Kind of the item it defines (7 for types), if it defines one. */
  kind?: number;
  id?: SAtom;
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
  /** Whether it has core definitions (func/table/memory/global bodies, elem, data, start). */
  coreDefs: boolean;
}

/** Classifies `items` (the fields of the module of `scope`) and declares their identifiers in `scope`. */
export function classify(scope: Scope, items: readonly SExpr[]): Classified {
  const fields: Field[] = [];
  const locals = [0, 0, 0, 0];
  let moduleLinking = false;
  let coreDefs = false;
  const declare = (kind: number, id: SAtom | undefined, local?: number) => {
    if (id === undefined) return;
    if (scope.declared.has(kind, id.text)) {
      throw scope.file.error(id.start, `duplicate ${kindName(kind)} ${id.text}`);
    }
    scope.declared.set(kind, id.text, { offset: id.start, local });
  };
  for (const item of items) {
    const head = headOf(item);
    if (head === undefined) {
      throw scope.file.error(item.start, `expected a module field, found ${show(item)}`);
    }
    const list = item as SList;
    const field: Field = {
      list,
      head,
      tag: "core",
      exports: [],
      exportLists: [],
      rest: 1,
      sugar: [],
    };
    // An import or alias declares the item its descriptor names: `(kind $id? …)`.
    const declareDesc = (kind: number, desc: SList) => {
      field.kind = kind;
      const id = desc.items[1];
      field.id = isAtom(id, "id") ? id : undefined;
      declare(kind, field.id);
    };
    switch (head) {
      case "type": {
        const c = new Cursor(list, scope.file);
        field.tag = "type";
        field.kind = TYPE;
        field.id = c.optionalId();
        field.rest = c.i;
        declare(TYPE, field.id);
        if (isInlineAlias(c.peek())) field.tag = "inline-alias";
        if (headOf(c.peek()) !== "func") moduleLinking = true;
        break;
      }
      case "import": {
        field.tag = "import";
        const items = list.items;
        const twoLevel = isAtom(items[2], "string");
        const desc = items[twoLevel ? 3 : 2];
        const kind = entityKind(headOf(desc));
        if (!twoLevel || kind === undefined || kind >= 5 || hasOuterType(desc as SList)) {
          moduleLinking = true;
        }
        if (kind !== undefined) declareDesc(kind, desc as SList);
        break;
      }
      case "alias": {
        field.tag = "alias";
        moduleLinking = true;
        const desc = list.items[list.items.length - 1];
        const h = headOf(desc);
        const kind = h === "type" ? TYPE : entityKind(h);
        if (kind !== undefined) declareDesc(kind, desc as SList);
        break;
      }
      case "export": {
        field.tag = "export";
        const desc = list.items[2];
        const kind = entityKind(headOf(desc));
        if (
          kind === undefined || kind >= 5 || isAliasSugar(desc as SList) ||
          isOuterSugar(desc as SList)
        ) {
          moduleLinking = true;
        }
        break;
      }
      case "elem":
      case "data":
      case "start":
        coreDefs = true;
        field.sugar = findSugar(list, 1, head !== "start");
        if (field.sugar.length > 0) moduleLinking = true;
        break;
      default: {
        const kind = entityKind(head);
        if (kind === undefined) {
          throw scope.file.error(list.start, `unknown module field (${head} …)`);
        }
        const c = new Cursor(list, scope.file);
        field.kind = kind;
        field.id = c.optionalId();
        const from = c.i;
        field.exports = inlineExports(c);
        field.rest = c.i;
        field.exportLists = list.items.slice(from, c.i) as SList[];
        if (field.exports.length > 0 && kind >= 5) moduleLinking = true;
        const next = c.peek();
        if (isInlineImport(next)) {
          field.tag = "inline-import";
          if (kind >= 5 || next.items.length < 3 || hasOuterType(list)) moduleLinking = true;
          declare(kind, field.id);
        } else if (isInlineAlias(next)) {
          field.tag = "inline-alias";
          moduleLinking = true;
          declare(kind, field.id);
        } else if (kind >= 5) {
          field.tag = head === "module" ? "module" : "instance";
          moduleLinking = true;
          declare(kind, field.id);
        } else {
          field.tag = "local";
          field.local = locals[kind]++;
          coreDefs = true;
          declare(kind, field.id, field.local);
          field.sugar = findSugar(list, field.rest, false);
          if (field.sugar.length > 0) moduleLinking = true;
        }
      }
    }
    fields.push(field);
  }
  return { fields, moduleLinking, coreDefs };
}

/**
 * Whether a func/table/memory/global field defines its item locally, rather
 * than importing or aliasing it with an inline `(import …)` or `(alias …)`.
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

/** `(alias $i "x")` or `(alias outer $M $x)` without a description: the inverted alias form. */
function isInlineAlias(e: SExpr | undefined): e is SList {
  return isList(e, "alias") && e.items.every((x) => x.type === "atom");
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
      const head = headOf(e);
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
