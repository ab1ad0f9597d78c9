/**
 * The printer: a module-linking binary → its text, which `parseWat` reads
 * back to the same binary. The module-linking layer is printed by
 * `module.ts`; the core parts of each module by wabt's disassembler
 * (`core.ts`, `disassemble.ts`). All of it is loaded on first use.
 *
 * @module
 */

import { decode } from "../binary/decode.ts";
import { detectContent, unknownContentMessage } from "../content.ts";
import { bytesOf } from "../api.ts";
import { CompileError } from "../errors.ts";
import { unreachable } from "../ir.ts";

/**
 * Prints a module-linking binary (or a core one) as text: nested modules,
 * imports, module and instance types, instances, aliases and exports in
 * mlink's text format, with numeric indices and index comments, and each
 * module's core part (functions with their code, tables, memories,
 * globals, tags, segments, start) as wabt prints it.
 *
 * Reading the text back with `parseWat` gives the same bytes for any binary
 * laid out as `parseWat` lays binaries out (every binary it writes, and
 * every core module wabt writes). Of other binaries the text keeps the
 * meaning, not every byte; what it cannot say (a custom section other than
 * the names, say, or core code nested deeper than `parseWat` reads) is a
 * `;; note:` in the text. Names come back: a module's as `$name` (or
 * `(@name "…")` when it is no identifier), a function's as `(@name "…")`.
 *
 * An mlink artifact cannot be printed: it holds the core modules a binary
 * was split into and the program that instantiates them, not the binary
 * itself. Print the binary or the text it was compiled from.
 *
 * @param bytes A WebAssembly binary.
 * @returns The text, ending in a newline.
 * @throws {CompileError} when `bytes` is not a binary that decodes (an
 * artifact, text and anything else say so), when wabt cannot read a
 * module's core code (with the path of the module), or for a `bytes` that
 * is not bytes at all.
 *
 * @example
 * ```ts
 * import { parseWat, printWat } from "@mlink/mlink";
 * const bytes = await parseWat(`(module
 *   (module $child (func (export "hi") (result i32) i32.const 42))
 *   (instance $c (instantiate $child))
 *   (export "hi" (func $c "hi")))`);
 * const text = await printWat(bytes);
 * console.log(text.includes("(instance (;0;) (instantiate 0))")); // true
 * console.log((await parseWat(text)).toString() === bytes.toString()); // true
 * ```
 */
export async function printWat(
  bytes: Uint8Array | ArrayBuffer | ArrayBufferView,
): Promise<string> {
  const binary = binaryOf(bytes);
  const ir = decode(binary);
  // The printer (and wabt, with it the text reader) loads on first use, as
  // the text front-end does: programs that never print never load it.
  const { loadDisassembler, needsDisassembler, printModule } = await import("./printer.ts");
  const disassemble = needsDisassembler(ir) ? await loadDisassembler() : () => {
    throw new Error("internal error: the disassembler was not loaded");
  };
  return printModule(ir, disassemble);
}

/** The bytes of a binary, or the error that says what they are instead. */
function binaryOf(source: unknown): Uint8Array {
  const bytes = bytesOf(source, "printWat", "a Uint8Array or an ArrayBuffer");
  const content = detectContent(bytes);
  switch (content.kind) {
    case "binary":
      return bytes;
    case "artifact":
      throw new CompileError(
        "this is an mlink artifact, not a WebAssembly binary: it cannot be printed, because it " +
          "holds the core modules the binary was split into, not the binary; print the binary " +
          "or text it was compiled from",
      );
    case "text":
      throw new CompileError("this is WebAssembly text already: printWat takes binaries");
    case "unknown":
      throw new CompileError(unknownContentMessage(content.reason));
    default:
      return unreachable(content, "content");
  }
}
