/**
 * The s-expression reader: text → lists and atoms with their source
 * offsets. Both the module-linking resolver and the `.wast` script runner
 * read text through it.
 *
 * @module
 */

import { strictUtf8 } from "../encoding.ts";
import { Lexer } from "./lexer.ts";
import { SourceFile } from "./source.ts";

export { SourceFile } from "./source.ts";

/** An atom: one token other than a parenthesis. */
export interface SAtom {
  /** Discriminant. */
  type: "atom";
  /** What token it is. */
  kind: "keyword" | "id" | "string" | "number" | "reserved";
  /** The raw source text of the token (strings with their quotes and escapes). */
  text: string;
  /** Offset of the token's first character. */
  start: number;
  /** Offset after the token's last character. */
  end: number;
  /** For strings: the decoded bytes. */
  bytes?: Uint8Array;
}

/** A parenthesized list. */
export interface SList {
  /** Discriminant. */
  type: "list";
  /** The elements between the parentheses. */
  items: SExpr[];
  /** Offset of `(`. */
  start: number;
  /** Offset after `)`. */
  end: number;
  /**
   * The annotations `(@id …)` written directly among the items, in order.
   * The reader takes them out of `items`: tools ignore the annotations they
   * do not know (the annotations proposal), so only code that looks for one,
   * such as `(@name "…")`, sees them.
   */
  annotations?: SList[];
}

/** An atom or a list. */
export type SExpr = SAtom | SList;

/**
 * Reads every top-level form of `source`.
 *
 * Annotations `(@id …)` are taken out of the list they are written in and
 * kept in its `annotations` (top-level ones are dropped); inside them, `,`
 * `;` `[` `]` `{` `}` are token characters too, and nothing is interpreted.
 *
 * @throws {WatError} on a lexical error, unbalanced parentheses or an
 * annotation without an id (`(@ x)`), and on a lone surrogate anywhere in
 * `source`: text is Unicode, and a JS string holding half a surrogate pair
 * has no UTF-8 form (it would otherwise become U+FFFD in names, silently).
 *
 * @example
 * ```ts
 * import { readSExprs, type SList } from "./sexpr.ts";
 * const [form] = readSExprs('(module (@hint "x") (func (export "f")))') as SList[];
 * form.items.length; // 2: module and (func …)
 * form.annotations?.length; // 1: (@hint "x")
 * ```
 */
export function readSExprs(source: string, filename = "input.wat"): SExpr[] {
  const file = new SourceFile(source, filename);
  if (!source.isWellFormed()) {
    const at = loneSurrogate(source);
    throw file.error(
      at,
      `lone surrogate U+${
        source.charCodeAt(at).toString(16).toUpperCase()
      }: the text is not valid Unicode`,
    );
  }
  const lexer = new Lexer(file);
  const top: SExpr[] = [];
  // Open lists, innermost last: an explicit stack, so deep nesting cannot
  // overflow the call stack.
  const open: SList[] = [];
  let items = top;
  // The open annotation, if any: what it holds is not interpreted, and
  // annotations inside it are part of it.
  let annotation: SList | undefined;
  for (let kind = lexer.next(); kind !== null; kind = lexer.next()) {
    if (kind === "(") {
      const list: SList = { type: "list", items: [], start: lexer.start, end: -1 };
      items.push(list);
      open.push(list);
      items = list.items;
      if (annotation === undefined && source.charCodeAt(lexer.end) === 0x40 /* @ */) {
        annotation = list;
        lexer.annotation = true;
      }
    } else if (kind === ")") {
      const list = open.pop();
      if (list === undefined) throw file.error(lexer.start, "unexpected ): no matching (");
      list.end = lexer.end;
      // Growing by push leaves room for 17 items or more: a tree of small
      // lists would take ten times its text. Exact copies of those.
      if (list.items.length < 16) list.items = list.items.slice();
      const parent = open.length > 0 ? open[open.length - 1] : undefined;
      items = parent !== undefined ? parent.items : top;
      if (list === annotation) {
        annotation = undefined;
        lexer.annotation = false;
        // It is the last item of its parent: the items after it are still to come.
        items.pop();
        if (parent !== undefined) (parent.annotations ??= []).push(list);
      }
    } else {
      if (
        items.length === 0 && open[open.length - 1] === annotation && lexer.end - lexer.start < 2
      ) {
        throw file.error(lexer.start, "malformed annotation id: expected (@id …)");
      }
      const atom: SAtom = {
        type: "atom",
        kind,
        text: source.slice(lexer.start, lexer.end),
        start: lexer.start,
        end: lexer.end,
      };
      if (kind === "string") atom.bytes = lexer.bytes;
      items.push(atom);
    }
  }
  if (annotation !== undefined) {
    throw file.error(annotation.start, "unclosed annotation: missing )");
  }
  if (open.length > 0) {
    throw file.error(open[open.length - 1].start, "unclosed (: missing )");
  }
  return top;
}

/** Offset of the first surrogate code unit of `source` that is not half of a pair. */
function loneSurrogate(source: string): number {
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const next = source.charCodeAt(i + 1);
    if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i++;
    else return i;
  }
  return 0;
}

/**
 * The value of a string atom as a name: its bytes decoded as UTF-8.
 *
 * @throws {WatError} "malformed UTF-8 encoding" when the bytes are not
 * UTF-8, or when the atom is not a string.
 *
 * @example
 * ```ts
 * import { readSExprs, SourceFile, stringValue, type SAtom } from "./sexpr.ts";
 * const text = '"caf\\c3\\a9"';
 * const [atom] = readSExprs(text);
 * stringValue(atom as SAtom, new SourceFile(text, "x.wat")); // "café"
 * ```
 */
export function stringValue(atom: SAtom, file: SourceFile): string {
  if (atom.kind !== "string" || atom.bytes === undefined) {
    throw file.error(atom.start, `expected a string, found ${atom.text}`);
  }
  const bytes = atom.bytes;
  // Most names are short ASCII: skip the decoder for them.
  if (bytes.length < 64 && bytes.every((b) => b < 0x80)) return String.fromCharCode(...bytes);
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw file.error(atom.start, "malformed UTF-8 encoding");
  }
}

/** The bytes of string atoms, one after the other (as `binary` and `quote` forms join them). */
export function stringBytes(strings: readonly SAtom[]): Uint8Array {
  const out = new Uint8Array(strings.reduce((n, s) => n + (s.bytes?.length ?? 0), 0));
  let at = 0;
  for (const s of strings) {
    if (s.bytes === undefined) continue;
    out.set(s.bytes, at);
    at += s.bytes.length;
  }
  return out;
}
