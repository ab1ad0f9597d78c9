/**
 * References to items written as lists: `(func $f)`, the inline alias sugar
 * `(func $i "a" "b")` (export "b" of export "a" of instance `$i`), and inline
 * outer aliases `(module outer $M $m)` / `(type outer $M $t)`.
 *
 * @module
 */

import { Kind } from "../ir.ts";
import { aKind, entityKind, type SpaceKind } from "./kinds.ts";
import type { Scope } from "./scope.ts";
import type { SAtom, SList } from "./sexpr.ts";
import { stringValue } from "./sexpr.ts";
import { Cursor, headKeyword, isAtom } from "./syntax.ts";

/** Whether `list` is inline alias sugar: `(kind X "name"+)` with X an instance index or identifier. */
export function isAliasSugar(list: SList): boolean {
  const items = list.items;
  if (items.length < 3) return false;
  const head = headKeyword(list);
  if (head === undefined || entityKind(head) === undefined) return false;
  if (!isAtom(items[1], "id") && !isAtom(items[1], "number")) return false;
  for (let i = 2; i < items.length; i++) if (!isAtom(items[i], "string")) return false;
  return true;
}

/** Whether `list` is an inline outer alias `(type outer M x)` or `(module outer M x)`. */
export function isOuterSugar(list: SList): boolean {
  const head = headKeyword(list);
  return (head === "type" || head === "module") && isAtom(list.items[1], "keyword", "outer");
}

/**
 * Resolves a reference list of `kind`: `(kind X)`, `(kind $i "a" …)` or
 * `(kind outer M x)`; aliases are generated as needed. A local core
 * definition named by identifier is resolved later through `patch`.
 */
export function itemRef(
  scope: Scope,
  list: SList,
  kind: SpaceKind,
  patch?: (index: number) => void,
): number {
  const c = new Cursor(list, scope.file);
  if (isAtom(c.peek(), "keyword", "outer")) {
    if (kind !== Kind.Module && kind !== Kind.Type) {
      throw scope.file.error(
        c.here(),
        `outer aliases can only name modules and types, not ${aKind(kind)}`,
      );
    }
    c.next();
    const index = scope.outerAlias(kind, c.next(), c.next(), list.start);
    c.end();
    return index;
  }
  const target = c.next();
  if (!isAtom(c.peek(), "string")) {
    c.end();
    return scope.ref(kind, target, patch);
  }
  if (kind === Kind.Type) {
    throw scope.file.error(c.here(), "types cannot be aliased from instances");
  }
  // Walk down nested instances; the last name is the item itself.
  let instance = scope.ref(Kind.Instance, target);
  const names: SAtom[] = [];
  while (isAtom(c.peek(), "string")) names.push(c.next() as SAtom);
  c.end();
  for (let i = 0; i < names.length; i++) {
    const value = stringValue(names[i], scope.file);
    const last = i === names.length - 1;
    instance = scope.exportAlias(instance, last ? kind : Kind.Instance, names[i], value);
  }
  return instance;
}
