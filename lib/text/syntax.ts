/**
 * Small readers for the parts of the text format the resolver parses
 * itself: a cursor over a list's items, integers, value types, and table,
 * memory and global types.
 *
 * @module
 */

import {
  type GlobalType,
  isRefType,
  type Limits,
  type MemoryType,
  type TableType,
  type ValType,
  VALTYPE_BYTES,
} from "../ir.ts";
import type { SAtom, SExpr, SList } from "./sexpr.ts";
import { type SourceFile, stringValue } from "./sexpr.ts";

/** The keyword at the head of a list, if `e` is a list that starts with one. */
export function headKeyword(e: SExpr | undefined): string | undefined {
  if (e === undefined || e.type !== "list") return undefined;
  const first = e.items[0];
  return first !== undefined && first.type === "atom" && first.kind === "keyword"
    ? first.text
    : undefined;
}

/** Whether `e` is a list (headed by `word`, when given). */
export function isList(e: SExpr | undefined, word?: string): e is SList {
  return e !== undefined && e.type === "list" && (word === undefined || headKeyword(e) === word);
}

/** Whether `e` is an atom of `kind` (and text `text`, when given). */
export function isAtom<K extends SAtom["kind"]>(
  e: SExpr | undefined,
  kind: K,
  text?: string,
): e is SAtom & { kind: K } {
  return e !== undefined && e.type === "atom" && e.kind === kind &&
    (text === undefined || e.text === text);
}

/** A short form of `e` for messages: the token (cut after 40 characters), or `(head …)`. */
export function shortForm(e: SExpr): string {
  if (e.type === "atom") return e.text.length > 40 ? e.text.slice(0, 40) + "…" : e.text;
  const head = headKeyword(e);
  return head === undefined ? "a list" : `(${head} …)`;
}

/**
 * Reads the items of one list from left to right, with errors that point
 * at the offending item (or at the closing parenthesis when one is missing).
 */
export class Cursor {
  /** The list being read. */
  readonly list: SList;
  /** Where errors are reported. */
  readonly file: SourceFile;
  /** Index of the next item. */
  i: number;

  /** A cursor over `list.items`, starting at item `from`. */
  constructor(list: SList, file: SourceFile, from = 1) {
    this.list = list;
    this.file = file;
    this.i = from;
  }

  /** The next item, without consuming it. */
  peek(): SExpr | undefined {
    return this.list.items[this.i];
  }

  /** Whether every item has been read. */
  atEnd(): boolean {
    return this.i >= this.list.items.length;
  }

  /** Consumes and returns the next item. */
  next(): SExpr | undefined {
    return this.list.items[this.i++];
  }

  /** Where the next item starts, or the closing parenthesis when there is none. */
  here(): number {
    const e = this.peek();
    return e !== undefined ? e.start : Math.max(this.list.start, this.list.end - 1);
  }

  /** An error at the next item. */
  error(message: string): Error {
    return this.file.error(this.here(), message);
  }

  /** An "expected …" error at the next item, naming what was found. */
  expected(what: string): Error {
    const e = this.peek();
    return this.error(
      e === undefined ? `expected ${what}, found )` : `expected ${what}, found ${shortForm(e)}`,
    );
  }

  /** Consumes an identifier if one is next. */
  optionalId(): SAtom | undefined {
    const e = this.peek();
    if (isAtom(e, "id")) {
      this.i++;
      return e;
    }
    return undefined;
  }

  /** Consumes a string atom. */
  string(what = "a string"): SAtom {
    const e = this.peek();
    if (!isAtom(e, "string")) throw this.expected(what);
    this.i++;
    return e;
  }

  /** Consumes a string atom and decodes it as a UTF-8 name. */
  name(what = "a name string"): string {
    return stringValue(this.string(what), this.file);
  }

  /** Consumes a list (headed by `word`, when given). */
  listOf(word: string | undefined, what: string): SList {
    const e = this.peek();
    if (!isList(e, word)) throw this.expected(what);
    this.i++;
    return e;
  }

  /** Whether the next item is a list headed by `word`. */
  at(word: string): boolean {
    return isList(this.peek(), word);
  }

  /** Fails unless every item has been read. */
  end(): void {
    const e = this.peek();
    if (e !== undefined) throw this.file.error(e.start, `unexpected ${shortForm(e)}`);
  }
}

/** Parses an unsigned integer literal (decimal or `0x` hex, `_` separators) below `limit`. */
function unsigned(atom: SExpr | undefined, file: SourceFile, limit: bigint, what: string): bigint {
  if (!isAtom(atom, "number") || !/^(?:0x[0-9a-fA-F_]+|[0-9_]+)$/.test(atom.text)) {
    const at = atom?.start ?? 0;
    throw file.error(at, `expected ${what}, found ${atom ? shortForm(atom) : ")"}`);
  }
  const value = BigInt(atom.text.replaceAll("_", ""));
  if (value >= limit) {
    throw file.error(atom.start, `${what.replace(/^an? /, "")} out of range: ${atom.text}`);
  }
  return value;
}

/** The value of a u32 literal. */
export function u32(atom: SExpr | undefined, file: SourceFile, what = "an index"): number {
  return Number(unsigned(atom, file, 1n << 32n, what));
}

/** The value of a u64 literal; values that a JavaScript number cannot hold exactly are rejected. */
export function u64(atom: SExpr | undefined, file: SourceFile, what = "an integer"): number {
  const value = unsigned(atom, file, 1n << 64n, what);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw file.error(
      atom!.start,
      `${what} too large for this implementation: ${(atom as SAtom).text}`,
    );
  }
  return Number(value);
}

/** The value type keyword `e` names, if it names one. */
function valTypeOf(e: SExpr | undefined): ValType | undefined {
  return isAtom(e, "keyword") ? VALTYPE_BYTES.get(e.text) : undefined;
}

/** Consumes a value type. */
export function valType(c: Cursor): ValType {
  const type = valTypeOf(c.peek());
  if (type === undefined) throw c.expected("a value type");
  c.i++;
  return type;
}

/** Consumes a reference type (`funcref` or `externref`). */
export function refType(c: Cursor): ValType {
  const type = valTypeOf(c.peek());
  if (type === undefined || !isRefType(type)) throw c.expected("funcref or externref");
  c.i++;
  return type;
}

function limits(c: Cursor, wide: boolean): Limits {
  const read = (what: string) => wide ? u64(c.next(), c.file, what) : u32(c.next(), c.file, what);
  const min = read("a minimum size");
  if (isAtom(c.peek(), "number")) return { min, max: read("a maximum size") };
  return { min };
}

/** Consumes a table type: `min max? reftype`. */
export function tableType(c: Cursor): TableType {
  const l = limits(c, false);
  return { elem: refType(c), limits: l };
}

/** Consumes a memory type: `i32|i64? min max? shared?`. */
export function memoryType(c: Cursor): MemoryType {
  let memory64 = false;
  const first = c.peek();
  if (isAtom(first, "keyword", "i64") || isAtom(first, "keyword", "i32")) {
    memory64 = first.text === "i64";
    c.i++;
  }
  const l = limits(c, memory64);
  let shared = false;
  if (isAtom(c.peek(), "keyword", "shared")) {
    shared = true;
    c.i++;
  }
  return { limits: l, shared, memory64 };
}

/** Consumes a global type: `valtype` or `(mut valtype)`. */
export function globalType(c: Cursor): GlobalType {
  const e = c.peek();
  if (isList(e, "mut")) {
    c.i++;
    const inner = new Cursor(e, c.file);
    const type = valType(inner);
    inner.end();
    return { type, mutable: true };
  }
  return { type: valType(c), mutable: false };
}
