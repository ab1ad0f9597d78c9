/**
 * How deep core code nests, measured before wabt sees it: wabt's text
 * parser recurses once per level on a small fixed stack and, past it,
 * corrupts its memory and crashes or never returns (see
 * {@linkcode MAX_CORE_TEXT_NESTING}).
 *
 * @module
 */

import { MAX_CORE_TEXT_NESTING } from "../limits.ts";
import type { SExpr, SList, SourceFile } from "./sexpr.ts";

/**
 * Checks that the core fields `fields`, inside a `(module …)`, nest at most
 * {@linkcode MAX_CORE_TEXT_NESTING} deep, counting each open parenthesis and
 * each unfolded `block`, `loop`, `if` or `try`.
 *
 * @throws {WatError} at the parenthesis or keyword that goes one level too deep.
 *
 * @example
 * ```ts
 * import { checkCoreNesting } from "./nesting.ts";
 * import { readSExprs, SourceFile, type SList } from "./sexpr.ts";
 * const text = "(func block block end end)";
 * checkCoreNesting(readSExprs(text) as SList[], new SourceFile(text, "x.wat")); // fine: 4 deep
 * ```
 */
export function checkCoreNesting(fields: readonly SList[], file: SourceFile): void {
  // An explicit stack, the text may nest far deeper than the call stack
  // allows; one array per column, so no object is made per list.
  const items: (readonly SExpr[])[] = [];
  const next: number[] = [];
  // Depth of each open list, and that plus the unfolded blocks open in it.
  const base: number[] = [];
  const depth: number[] = [];
  for (const field of fields) {
    // The field's own parenthesis is inside `(module`.
    items.push([field]);
    next.push(0);
    base.push(1);
    depth.push(1);
    while (items.length > 0) {
      const top = items.length - 1;
      const list = items[top];
      const index = next[top]++;
      if (index >= list.length) {
        items.pop();
        next.pop();
        base.pop();
        depth.pop();
        continue;
      }
      const e = list[index];
      if (e.type === "list") {
        const d = depth[top] + 1;
        if (d > MAX_CORE_TEXT_NESTING) throw tooDeep(file, e.start);
        items.push(e.items);
        next.push(0);
        base.push(d);
        depth.push(d);
        continue;
      }
      // A list's first keyword is its head (`(block …`), not an instruction of it.
      if (e.kind !== "keyword" || index === 0) continue;
      switch (e.text) {
        // Instructions that open a block when written without parentheses…
        case "block":
        case "loop":
        case "if":
        case "try":
        case "try_table":
          if (++depth[top] > MAX_CORE_TEXT_NESTING) throw tooDeep(file, e.start);
          break;
        // … and those that close one.
        case "end":
        case "delegate":
          if (depth[top] > base[top]) depth[top]--;
          break;
      }
    }
  }
}

function tooDeep(file: SourceFile, at: number): Error {
  return file.error(
    at,
    `core code nested more than ${MAX_CORE_TEXT_NESTING} deep (each parenthesis and each ` +
      "block, loop, if or try without them counts): the text parser cannot go deeper",
  );
}
