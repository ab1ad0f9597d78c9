/**
 * Reads a CLI input file and tells what it is by its content, not its name
 * (the rule of `lib/content.ts`, which `compile` follows too).
 *
 * @module
 */

import { compile } from "../api.ts";
import { decodeUtf8, detectContent, unknownContentMessage } from "../content.ts";
import { directoryOf, fileReader, readRegularFile } from "../file_reader.ts";
import { unreachable } from "../ir.ts";
import { Module } from "../runtime/module.ts";
import { UsageError } from "./usage.ts";

/** What an input file holds: a binary's or an artifact's bytes, or text. */
export type Input =
  | { readonly path: string; readonly kind: "binary" | "artifact"; readonly bytes: Uint8Array }
  | { readonly path: string; readonly kind: "text"; readonly text: string };

/** A file the CLI could not read, or not understand; printed as one line. */
export class InputError extends Error {
  /** Makes the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InputError";
  }
}

/**
 * Reads the regular file at `path`. Every failure is an {@linkcode InputError}
 * `cannot read PATH: reason`, where the reason names no other file.
 */
async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readRegularFile(path);
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${fileErrorReason(e)}`, { cause: e });
  }
}

/**
 * Reads `path` and detects its kind. Bytes that are neither a binary, an
 * artifact nor UTF-8 text are an {@linkcode InputError}.
 */
export async function readInput(path: string): Promise<Input> {
  const bytes = await readBytes(path);
  const content = detectContent(bytes);
  switch (content.kind) {
    case "binary":
    case "artifact":
      return { path, kind: content.kind, bytes };
    case "text":
      return { path, kind: "text", text: content.text };
    case "unknown":
      throw new InputError(`${path}: ${unknownContentMessage(content.reason)}`);
    default:
      return unreachable(content, "content");
  }
}

/**
 * Reads a file that must be UTF-8 text: a `.wast` script, which may hold
 * any character in its comments, NUL included (the core suite's
 * `comments.wast` does).
 */
export async function readText(path: string): Promise<string> {
  const decoded = decodeUtf8(await readBytes(path));
  if ("text" in decoded) return decoded.text;
  throw new InputError(
    `${path}: not UTF-8 text (at byte offset 0x${decoded.invalidAt.toString(16)})`,
  );
}

/** A filesystem error's reason without Deno's decoration (`os error 2`, the path again). */
export function fileErrorReason(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "no such file or directory";
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (e instanceof Deno.errors.IsADirectory) return "it is a directory";
  if (e instanceof Deno.errors.NotADirectory) return "a component of the path is not a directory";
  if (e instanceof Deno.errors.FilesystemLoop) return "too many levels of symbolic links";
  const message = e instanceof Error ? e.message : String(e);
  // Deno appends `(os error N)` and then the operation and the path(s),
  // which for an atomic write name its temporary file: keep the first part.
  return message.replace(/\s*\(os error \d+\)[\s\S]*$/, "").replace(/:\s*'[^']*'$/, "");
}

/** How {@linkcode loadModule} compiles. */
export interface LoadOptions {
  /** Fuse the module's instance graph (default `true`); `false` is `--no-fuse`. */
  readonly fuse?: boolean;
}

/**
 * Compiles or loads `path`: a module-linking binary, text or artifact, by
 * content. An artifact was compiled already, fused or not: with `fuse: false`
 * it is a `UsageError` rather than a module that runs fused all the same.
 */
export async function loadModule(path: string, options: LoadOptions = {}): Promise<Module> {
  const input = await readInput(path);
  const fuse = options.fuse !== false;
  switch (input.kind) {
    case "binary":
      return await compile(input.bytes, { fuse });
    case "text":
      return await compile(input.text, {
        filename: path,
        readFile: fileReader(directoryOf(path)),
        fuse,
      });
    case "artifact":
      if (!fuse) {
        throw new UsageError(
          `--no-fuse: ${path} is an artifact, compiled already (fused or not); --no-fuse applies to binaries and text`,
        );
      }
      return Module.deserialize(input.bytes, path);
    default:
      return unreachable(input, "input");
  }
}
