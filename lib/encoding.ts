/**
 * Byte-level facts shared by every layer: the wasm magic and the strict
 * UTF-8 decoders. One home each, so that a binary, an artifact and a text
 * file are told apart and decoded by the same rules everywhere.
 *
 * @module
 */

/** The four bytes every WebAssembly binary starts with: `\0asm`. */
export const WASM_MAGIC: readonly number[] = [0x00, 0x61, 0x73, 0x6d];

/** The eight-byte header of a version-1 WebAssembly binary: the magic, then version 1. */
export const WASM_HEADER: readonly number[] = [...WASM_MAGIC, 0x01, 0x00, 0x00, 0x00];

/** Whether `bytes` holds `prefix` at `at` (its start, by default). */
export function startsWith(bytes: Uint8Array, prefix: readonly number[], at = 0): boolean {
  if (bytes.length - at < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}

/**
 * Decodes UTF-8 exactly, as wasm names are: a malformed sequence throws a
 * `TypeError`, and a leading byte-order mark is kept as part of the name.
 */
export const strictUtf8: TextDecoder = new TextDecoder("utf-8", {
  fatal: true,
  ignoreBOM: true,
});

/**
 * Decodes a file of text: malformed UTF-8 throws a `TypeError`, and a leading
 * byte-order mark is dropped, as editors write it.
 */
export const textFileUtf8: TextDecoder = new TextDecoder("utf-8", { fatal: true });
