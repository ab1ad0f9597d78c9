/**
 * Reads a CLI input file and tells what it is by its content, not its name.
 *
 * @module
 */

import { looksLikeArtifact } from "../artifact/format.ts";

/** What an input file holds. */
export type InputKind = "binary" | "text" | "artifact";

/** An input file's bytes and kind. */
export interface Input {
  readonly path: string;
  readonly kind: InputKind;
  readonly bytes: Uint8Array;
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return magic.every((b, i) => bytes[i] === b);
}

/** Which kind of input `bytes` are. */
export function detectInput(bytes: Uint8Array): InputKind {
  if (startsWith(bytes, WASM_MAGIC)) return "binary";
  if (looksLikeArtifact(bytes)) return "artifact";
  return "text";
}

/** Reads `path` and detects its kind. */
export async function readInput(path: string): Promise<Input> {
  const bytes = await Deno.readFile(path);
  return { path, kind: detectInput(bytes), bytes };
}
