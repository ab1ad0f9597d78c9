/**
 * The words of a script's s-expressions. A script names its commands and
 * constants by the first atom of a list, whatever its kind, so that a list
 * headed by a `$id` or a string is reported as it is written (the text
 * front-end, which reads modules, takes a keyword there or nothing).
 *
 * @module
 */

import type { SExpr } from "../text/sexpr.ts";

/** The text of `e` when it is an atom; `""` otherwise. */
export function atomText(e: SExpr | undefined): string {
  return e?.type === "atom" ? e.text : "";
}

/**
 * The text of a list's first item when that is an atom of any kind, e.g.
 * `i32.const` or `assert_return`; `undefined` for an atom, an empty list or a
 * list that starts with a list.
 */
export function firstAtomText(e: SExpr | undefined): string | undefined {
  return e?.type === "list" && e.items[0]?.type === "atom" ? e.items[0].text : undefined;
}
