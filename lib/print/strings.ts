/**
 * Names and identifiers as text: what the text front-end reads back as the
 * same name.
 *
 * @module
 */

/** Characters written as escapes: controls, separators and other invisible or unassigned ones. */
const INVISIBLE = /[\p{C}\p{Z}]/u;

/**
 * A name as a string literal: printable characters as they are, `"` and `\`
 * escaped, and anything invisible as `\u{…}`.
 *
 * @example
 * ```ts
 * import { quoted } from "./strings.ts";
 * quoted('a"b\n'); // "\"a\\\"b\\u{a}\""
 * ```
 */
export function quoted(name: string): string {
  let out = '"';
  for (const ch of name) {
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (ch !== " " && INVISIBLE.test(ch)) out += `\\u{${ch.codePointAt(0)!.toString(16)}}`;
    else out += ch;
  }
  return out + '"';
}

// idchar: 0-9 a-z A-Z ! # $ % & ' * + - . / : < = > ? @ \ ^ _ ` | ~
const ID = /^[0-9A-Za-z!#$%&'*+\-./:<=>?@\\^_`|~]+$/;

/**
 * The identifier `$name`, when `name` can be written as one; otherwise
 * undefined (the text has no quoted identifiers).
 *
 * @example
 * ```ts
 * import { identifier } from "./strings.ts";
 * identifier("child"); // "$child"
 * identifier("two words"); // undefined
 * ```
 */
export function identifier(name: string): string | undefined {
  return ID.test(name) ? `$${name}` : undefined;
}
