/**
 * The lexer of the WebAssembly text format: parentheses, keywords,
 * `$`-identifiers, strings (escapes decoded to bytes), numbers (kept as
 * raw text), reserved tokens, and the whitespace and comments between them.
 *
 * @module
 */

import type { SourceFile } from "./source.ts";

/** What a token is. Parentheses are their own kinds. */
export type TokenKind = "(" | ")" | "keyword" | "id" | "string" | "number" | "reserved";

// idchar: 0-9 a-z A-Z ! # $ % & ' * + - . / : < = > ? @ \ ^ _ ` | ~
const ID_CHAR = new Uint8Array(128);
for (const ch of "!#$%&'*+-./:<=>?@\\^_`|~") ID_CHAR[ch.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) ID_CHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) ID_CHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) ID_CHAR[c] = 1;
// Inside annotations `, ; [ ] { }` are token characters too: the annotations
// proposal makes them reserved tokens.
const ANNOTATION_CHAR = ID_CHAR.slice();
for (const ch of ",;[]{}") ANNOTATION_CHAR[ch.charCodeAt(0)] = 1;

const DEC = String.raw`\d(?:_?\d)*`;
const HEX = String.raw`[0-9a-fA-F](?:_?[0-9a-fA-F])*`;
/** Integer and float literals, `inf`, `nan` and `nan:0x…`, with an optional sign. */
const NUMBER = new RegExp(
  `^[+-]?(?:0x${HEX}(?:\\.(?:${HEX})?)?(?:[pP][+-]?${DEC})?` +
    `|${DEC}(?:\\.(?:${DEC})?)?(?:[eE][+-]?${DEC})?` +
    `|inf|nan(?::0x${HEX})?)$`,
);

const utf8 = new TextEncoder();

/** Where the run of token characters (`chars`) from `p` ends; a `;;` comment ends it too. */
function tokenCharsEnd(src: string, p: number, chars: Uint8Array): number {
  for (; p < src.length; p++) {
    const c = src.charCodeAt(p);
    if (c >= 128 || chars[c] !== 1 || (c === 0x3b && src.charCodeAt(p + 1) === 0x3b)) break;
  }
  return p;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

function describe(ch: string): string {
  const code = ch.codePointAt(0)!;
  return code > 0x20 && code < 0x7f
    ? JSON.stringify(ch)
    : `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * Reads tokens one at a time. After {@linkcode Lexer.next} returns a kind,
 * `start`/`end` delimit the token and, for strings, `bytes` holds the
 * decoded contents. No object is allocated per token.
 *
 * @example
 * ```ts
 * import { Lexer } from "./lexer.ts";
 * import { SourceFile } from "./source.ts";
 * const lexer = new Lexer(new SourceFile('(func $f "a\\n")', "x.wat"));
 * const kinds = [];
 * for (let k = lexer.next(); k !== null; k = lexer.next()) kinds.push(k);
 * // ["(", "keyword", "id", "string", ")"]
 * ```
 */
export class Lexer {
  /** Where the last token starts. */
  start = 0;
  /** Where the last token ends (exclusive). */
  end = 0;
  /** Decoded bytes of the last token, when it is a string. */
  bytes: Uint8Array | undefined;
  /**
   * Whether tokens are read as inside an annotation `(@id …)`, where `,`
   * `;` `[` `]` `{` `}` are token characters too (forming reserved tokens)
   * rather than errors. `;;` still starts a comment.
   */
  annotation = false;
  readonly #file: SourceFile;
  readonly #src: string;
  #pos: number;

  /** Lexes `file.source` from `from` (default 0) up to the end. */
  constructor(file: SourceFile, from = 0) {
    this.#file = file;
    this.#src = file.source;
    this.#pos = from;
  }

  /** The next token's kind, or null at the end of the text. */
  next(): TokenKind | null {
    this.#skipTrivia();
    const src = this.#src;
    const pos = this.#pos;
    if (pos >= src.length) return null;
    this.start = pos;
    this.bytes = undefined;
    const c = src.charCodeAt(pos);
    if (c === 0x28 /* ( */ || c === 0x29 /* ) */) {
      this.#pos = this.end = pos + 1;
      return c === 0x28 ? "(" : ")";
    }
    const chars = this.annotation ? ANNOTATION_CHAR : ID_CHAR;
    if (c !== 0x22 /* " */ && (c >= 128 || chars[c] !== 1)) {
      const ch = String.fromCodePoint(src.codePointAt(pos)!);
      throw this.#file.error(pos, `unexpected character ${describe(ch)}`);
    }
    // A token is a maximal run of idchars and strings: one string alone is a
    // string, idchars alone are a keyword, id, number or reserved word, and
    // anything mixed (`"a"b`, `$"x"`) is reserved.
    let strings = 0;
    let idChars = 0;
    let p = pos;
    for (;;) {
      const d = src.charCodeAt(p);
      if (d === 0x22) {
        this.#pos = p;
        this.bytes = this.#string();
        p = this.#pos;
        strings++;
      } else {
        const end = tokenCharsEnd(src, p, chars);
        if (end === p) break;
        p = end;
        idChars++;
      }
    }
    this.#pos = this.end = p;
    if (strings === 1 && idChars === 0) return "string";
    this.bytes = undefined;
    if (strings > 0) return "reserved";
    if (c === 0x24 /* $ */) return p - pos > 1 ? "id" : "reserved";
    const text = src.slice(pos, p);
    if (NUMBER.test(text)) return "number";
    if (c >= 0x61 && c <= 0x7a) return "keyword";
    return "reserved";
  }

  /** Skips whitespace, line comments and (nested) block comments. */
  #skipTrivia(): void {
    const src = this.#src;
    let p = this.#pos;
    while (p < src.length) {
      const c = src.charCodeAt(p);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
        p++;
      } else if (c === 0x3b /* ; */ && src.charCodeAt(p + 1) === 0x3b) {
        const nl = src.indexOf("\n", p);
        p = nl === -1 ? src.length : nl + 1;
      } else if (c === 0x28 && src.charCodeAt(p + 1) === 0x3b) {
        p = this.#blockComment(p);
      } else {
        break;
      }
    }
    this.#pos = p;
  }

  /** Skips the block comment at `from`; returns the offset after it. */
  #blockComment(from: number): number {
    const src = this.#src;
    let depth = 0;
    let p = from;
    while (p < src.length) {
      const c = src.charCodeAt(p);
      if (c === 0x28 && src.charCodeAt(p + 1) === 0x3b) {
        depth++;
        p += 2;
      } else if (c === 0x3b && src.charCodeAt(p + 1) === 0x29) {
        p += 2;
        if (--depth === 0) return p;
      } else {
        p++;
      }
    }
    throw this.#file.error(from, "unterminated block comment");
  }

  /** Reads the string at the current position; returns its bytes. */
  #string(): Uint8Array {
    const src = this.#src;
    const open = this.#pos;
    let p = open + 1;
    // Fast path: printable ASCII without escapes.
    for (;;) {
      const c = src.charCodeAt(p);
      if (c === 0x22) {
        const bytes = new Uint8Array(p - open - 1);
        for (let i = 0; i < bytes.length; i++) bytes[i] = src.charCodeAt(open + 1 + i);
        this.#pos = p + 1;
        return bytes;
      }
      if (!(c >= 0x20 && c < 0x7f) || c === 0x5c) break;
      p++;
    }
    const out: number[] = [];
    for (let i = open + 1; i < p; i++) out.push(src.charCodeAt(i));
    for (;;) {
      if (p >= src.length) throw this.#file.error(open, "unterminated string");
      const c = src.charCodeAt(p);
      if (c === 0x22) break;
      if (c === 0x0a || c === 0x0d) throw this.#file.error(open, "unterminated string");
      if (c < 0x20 || c === 0x7f) {
        throw this.#file.error(p, `illegal control character ${describe(src[p])} in string`);
      }
      if (c === 0x5c) {
        p = this.#escape(p, out);
      } else if (c < 0x80) {
        out.push(c);
        p++;
      } else {
        const cp = src.codePointAt(p)!;
        const ch = String.fromCodePoint(cp);
        for (const b of utf8.encode(ch)) out.push(b);
        p += ch.length;
      }
    }
    this.#pos = p + 1;
    return new Uint8Array(out);
  }

  /** Decodes the escape at `at` (a backslash) into `out`; returns the offset after it. */
  #escape(at: number, out: number[]): number {
    const src = this.#src;
    const c = src.charCodeAt(at + 1);
    switch (c) {
      case 0x74: // t
        out.push(0x09);
        return at + 2;
      case 0x6e: // n
        out.push(0x0a);
        return at + 2;
      case 0x72: // r
        out.push(0x0d);
        return at + 2;
      case 0x22: // "
      case 0x27: // '
      case 0x5c: // \
        out.push(c);
        return at + 2;
      case 0x75: { // u{hex+}
        if (src.charCodeAt(at + 2) !== 0x7b) break;
        let p = at + 3;
        let value = 0;
        let digits = 0;
        for (; p < src.length; p++) {
          const d = src.charCodeAt(p);
          if (d === 0x5f && digits > 0 && hexValue(src.charCodeAt(p + 1)) >= 0) continue;
          const h = hexValue(d);
          if (h < 0) break;
          value = value * 16 + h;
          digits++;
          if (value > 0x10ffff) {
            throw this.#file.error(at, "malformed escape: code point out of range");
          }
        }
        if (digits === 0 || src.charCodeAt(p) !== 0x7d) break;
        if (value >= 0xd800 && value < 0xe000) {
          throw this.#file.error(at, "malformed escape: surrogate code point");
        }
        for (const b of utf8.encode(String.fromCodePoint(value))) out.push(b);
        return p + 1;
      }
      default: {
        const hi = hexValue(c);
        const lo = hexValue(src.charCodeAt(at + 2));
        if (hi >= 0 && lo >= 0) {
          out.push(hi * 16 + lo);
          return at + 3;
        }
      }
    }
    const shown = at + 1 < src.length
      ? "\\" + String.fromCodePoint(src.codePointAt(at + 1)!)
      : "\\";
    throw this.#file.error(at, `malformed escape sequence "${shown}" in string`);
  }
}
