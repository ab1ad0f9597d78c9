/**
 * What the text front-end does with annotations `(@id …)`, which the reader
 * takes out of the lists they are written in (see `readSExprs`): a
 * `(@name "…")` names a module or a function in the name section, and every
 * other annotation is ignored. Core text copied for wabt leaves them all out.
 *
 * @module
 */

import type { Edit } from "./coretext.ts";
import type { Field } from "./fields.ts";
import type { SList, SourceFile } from "./sexpr.ts";
import { stringValue } from "./sexpr.ts";
import { isAtom } from "./syntax.ts";

/**
 * The name a `(@name "…")` annotation of `list` gives, if it has one.
 *
 * @throws {WatError} for a `(@name …)` that holds anything but one string,
 * and for a second one on the same list.
 *
 * @example
 * ```ts
 * import { nameAnnotation } from "./annotations.ts";
 * import { readSExprs, SourceFile, type SList } from "./sexpr.ts";
 * const text = '(func $f (@name "fast path") (@other))';
 * const [func] = readSExprs(text) as SList[];
 * nameAnnotation(func, new SourceFile(text, "x.wat")); // "fast path"
 * ```
 */
export function nameAnnotation(list: SList | undefined, file: SourceFile): string | undefined {
  let name: string | undefined;
  for (const a of list?.annotations ?? []) {
    if (!isAtom(a.items[0], "reserved", "@name")) continue;
    if (name !== undefined) throw file.error(a.start, "duplicate @name annotation");
    const value = a.items[1];
    if (a.items.length !== 2 || !isAtom(value, "string")) {
      throw file.error(a.start, 'malformed @name annotation: expected (@name "…")');
    }
    name = stringValue(value, file);
  }
  return name;
}

/**
 * The name a `(@name "…")` annotation gives the item of field `f`: written
 * on its description for `(import …)` and `(alias …)` fields, on the field
 * itself otherwise (`(func $f (@name "…") …)`).
 */
export function fieldName(f: Field, file: SourceFile): string | undefined {
  return nameAnnotation(f.desc ?? f.list, file);
}

/**
 * Edits that blank every annotation inside `list`, at any depth, for a copy
 * of its source text; sorted. The blanks are spaces, so that tokens on either
 * side stay apart.
 *
 * @example
 * ```ts
 * import { annotationBlanks } from "./annotations.ts";
 * import { readSExprs, type SList } from "./sexpr.ts";
 * const [func] = readSExprs("(func (@a) (result (@b x) i32))") as SList[];
 * annotationBlanks(func); // [{ start: 6, end: 10, text: " " }, { start: 19, end: 25, text: " " }]
 * ```
 */
export function annotationBlanks(list: SList): Edit[] {
  const blanks: Edit[] = [];
  // An explicit stack: folded code can nest deeper than the call stack allows.
  const stack: SList[] = [list];
  while (stack.length > 0) {
    const l = stack.pop()!;
    for (const a of l.annotations ?? []) blanks.push({ start: a.start, end: a.end, text: " " });
    for (const e of l.items) if (e.type === "list") stack.push(e);
  }
  return blanks.sort((a, b) => a.start - b.start);
}

/**
 * `edits` (sorted, non-overlapping) together with the annotation blanks of
 * `list`, leaving out blanks inside an edit, which replaces them anyway;
 * sorted. `hasAnnotations` false skips the walk: the text has none.
 */
export function withAnnotationBlanks(
  list: SList,
  edits: readonly Edit[],
  hasAnnotations: boolean,
): Edit[] {
  if (!hasAnnotations) return [...edits];
  const blanks = annotationBlanks(list);
  if (blanks.length === 0) return [...edits];
  // Both are sorted, and a blank is either inside an edit or apart from it.
  const out: Edit[] = [];
  let i = 0;
  for (const b of blanks) {
    while (i < edits.length && edits[i].end <= b.start) out.push(edits[i++]);
    if (i < edits.length && edits[i].start <= b.start) continue;
    out.push(b);
  }
  while (i < edits.length) out.push(edits[i++]);
  return out;
}

const annotated = new WeakMap<SourceFile, boolean>();

/** Whether `file` may hold annotations at all: when it does not, no list need be searched for them. */
export function mayHoldAnnotations(file: SourceFile): boolean {
  let found = annotated.get(file);
  if (found === undefined) {
    found = file.source.includes("(@");
    annotated.set(file, found);
  }
  return found;
}
