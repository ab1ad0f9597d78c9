/**
 * Reads a CLI input file and tells what it is by its content, not its name.
 *
 * @module
 */

import { compile } from "../api.ts";
import { looksLikeArtifact } from "../artifact/format.ts";
import { directoryOf, fileReader } from "../file_reader.ts";
import { Module } from "../runtime/module.ts";

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

/** A file the CLI could not read; printed as one line. */
export class InputError extends Error {
  /** Makes the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InputError";
  }
}

/** Reads `path` and detects its kind; a filesystem error becomes `cannot read PATH: reason`. */
export async function readInput(path: string): Promise<Input> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${fileErrorReason(e)}`, { cause: e });
  }
  return { path, kind: detectInput(bytes), bytes };
}

/** A filesystem error's reason without Deno's decoration (`os error 2`, the path again). */
export function fileErrorReason(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "no such file or directory";
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (e instanceof Deno.errors.IsADirectory) return "it is a directory";
  const message = e instanceof Error ? e.message : String(e);
  return message.replace(/\s*\(os error \d+\).*$/s, "").replace(/:\s*'[^']*'$/, "");
}

const decoder = new TextDecoder();

/** Compiles or loads `path`: a module-linking binary, text or artifact, by content. */
export async function loadModule(path: string): Promise<Module> {
  const input = await readInput(path);
  switch (input.kind) {
    case "binary":
      return await compile(input.bytes);
    case "text":
      return await compile(decoder.decode(input.bytes), {
        filename: path,
        readFile: fileReader(directoryOf(path)),
      });
    case "artifact":
      return Module.deserialize(input.bytes, path);
  }
}
