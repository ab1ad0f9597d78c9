/**
 * Tells what some bytes are by their content, never by a file name: the one
 * rule `compile`, `compileSync` and every CLI command share.
 *
 * - `\0asm` first: a WebAssembly binary (core or module-linking).
 * - `\0mlk` first: an mlink artifact.
 * - Non-empty, valid UTF-8 and no NUL byte: text. (The text format would
 *   allow a NUL in a comment, but a NUL is far likelier a sign of a binary
 *   whose first bytes are damaged, which is better reported as such than
 *   parsed.)
 * - Anything else is none of these, with the reason.
 *
 * And for what is no input at all, {@linkcode typeName} says what it is, in
 * the words every entry point's messages use (`got an array`).
 *
 * @module
 */

import { looksLikeArtifact } from "./artifact/format.ts";
import { startsWith, textFileUtf8, WASM_MAGIC } from "./encoding.ts";

/** What some bytes hold; text comes decoded, and the unknown with why. */
export type Content =
  | { readonly kind: "binary" }
  | { readonly kind: "artifact" }
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "unknown"; readonly reason: string };

/**
 * Classifies `bytes`.
 *
 * @param bytes The whole input.
 * @returns Its kind; text decoded; for anything else, a reason fit to
 * follow "not a WebAssembly binary, text or artifact: ".
 *
 * @example
 * ```ts
 * import { detectContent } from "./content.ts";
 * detectContent(new TextEncoder().encode("(module)")); // { kind: "text", text: "(module)" }
 * detectContent(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])); // { kind: "binary" }
 * detectContent(new Uint8Array([0xff, 0xfe])).kind; // "unknown"
 * ```
 */
export function detectContent(bytes: Uint8Array): Content {
  if (startsWith(bytes, WASM_MAGIC)) return { kind: "binary" };
  if (bytes.length >= 4 && looksLikeArtifact(bytes)) return { kind: "artifact" };
  if (bytes.length === 0) return { kind: "unknown", reason: "it is empty" };
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    return { kind: "unknown", reason: `it has a NUL byte at offset 0x${nul.toString(16)}` };
  }
  const decoded = decodeUtf8(bytes);
  if ("text" in decoded) return { kind: "text", text: decoded.text };
  return {
    kind: "unknown",
    reason: `it is not UTF-8 (at byte offset 0x${decoded.invalidAt.toString(16)})`,
  };
}

/**
 * Decodes UTF-8 strictly (a BOM is dropped).
 *
 * @param bytes The bytes to decode.
 * @returns The text, or the offset of the first byte that is not UTF-8.
 *
 * @example
 * ```ts
 * import { decodeUtf8 } from "./content.ts";
 * decodeUtf8(new Uint8Array([0x61, 0xff])); // { invalidAt: 1 }
 * ```
 */
export function decodeUtf8(bytes: Uint8Array): { text: string } | { invalidAt: number } {
  try {
    return { text: textFileUtf8.decode(bytes) };
  } catch {
    return { invalidAt: invalidUtf8At(bytes) };
  }
}

/** The message for bytes that are none of the three, e.g. for an error. */
export function unknownContentMessage(reason: string): string {
  return `not a WebAssembly binary, text or artifact: ${reason}`;
}

/** Offset of the first byte that breaks UTF-8 (only called once the decoder refused). */
function invalidUtf8At(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const [length, min] = b < 0x80
      ? [1, 0]
      : b >= 0xc2 && b < 0xe0
      ? [2, 0x80]
      : b >= 0xe0 && b < 0xf0
      ? [3, 0x800]
      : b >= 0xf0 && b < 0xf5
      ? [4, 0x10000]
      : [0, 0];
    if (length === 0 || i + length > bytes.length) return i;
    let code = length === 1 ? b : b & (0xff >> (length + 1));
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k];
      if ((c & 0xc0) !== 0x80) return i;
      code = (code << 6) | (c & 0x3f);
    }
    // Over-long forms, surrogates and code points past U+10FFFF.
    if (code < min || (code >= 0xd800 && code < 0xe000) || code > 0x10ffff) return i;
    i += length;
  }
  return bytes.length;
}
