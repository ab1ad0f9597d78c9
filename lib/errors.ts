/**
 * The errors mlink throws. Each says what went wrong and where: a byte
 * offset or `file:line:col`, and the path of nested modules.
 *
 * `CompileError` and `LinkError` extend their `WebAssembly` namesakes, so code
 * written against the WebAssembly JS API catches them as it already does.
 *
 * @module
 */

/**
 * What a value is, for messages: `null`, `an array`, `an object`, `a
 * number`, `an undefined`, ….
 *
 * @param value Anything a caller passed.
 * @returns Its kind in words, with its article.
 *
 * @example
 * ```ts
 * import { typeName } from "./errors.ts";
 * typeName([1, 2]); // "an array"
 * typeName(42); // "a number"
 * ```
 */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  const type = typeof value;
  return type === "object" ? "an object" : /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** Where in a binary an error was found, and for a binary lowered from text, where in the text. */
export interface BinaryLocation {
  /** Byte offset in the outermost binary. */
  offset?: number;
  /** Nested modules from the outermost inwards, e.g. `["module $app", "module $child"]`. */
  path?: readonly string[];
  /** The place in the text the binary was lowered from, when known: it replaces the offset. */
  text?: TextLocation;
}

function located(message: string, where: BinaryLocation): string {
  const prefix = where.path && where.path.length > 0 ? where.path.join(" > ") + ": " : "";
  if (where.text !== undefined) return textLocated(prefix + message, where.text);
  const suffix = where.offset !== undefined
    ? ` (at byte offset 0x${where.offset.toString(16)})`
    : "";
  return prefix + message + suffix;
}

/** `file:line:col: message`, and the offending line with a caret under the column. */
function textLocated(message: string, where: TextLocation): string {
  const { file, line, column, excerpt } = where;
  const caret = excerpt === undefined
    ? ""
    : `\n  ${excerpt}\n  ${" ".repeat(Math.max(0, column - 1))}^`;
  return `${file}:${line}:${column}: ${message}${caret}`;
}

/**
 * A binary that is malformed or invalid: decoding, module-linking validation
 * or V8's core validation failed.
 *
 * @example
 * ```ts
 * import { compile, CompileError } from "@mlink/mlink";
 * try {
 *   await compile(new Uint8Array([0, 97, 115, 109, 9, 0, 0, 0]));
 * } catch (e) {
 *   if (e instanceof CompileError) console.log(e.reason, e.offset);
 * }
 * ```
 */
export class CompileError extends WebAssembly.CompileError {
  /** The message without location. */
  readonly reason: string;
  /** Byte offset in the outermost binary, when known. */
  readonly offset?: number;
  /** Path of nested modules, outermost first. */
  readonly path: readonly string[];
  /** For a binary lowered from text, the place in the text, when known. */
  readonly text?: TextLocation;

  /** Makes an error; the message gets the path and the offset (or the text location) added. */
  constructor(
    reason: string,
    where: BinaryLocation = {},
    options?: ErrorOptions,
  ) {
    super(located(reason, where), options);
    this.name = "CompileError";
    this.reason = reason;
    this.offset = where.offset;
    this.path = where.path ?? [];
    this.text = where.text;
  }
}

/** Which instantiation a link error happened in. */
export interface LinkLocation {
  /** Nested modules whose instantiation failed, outermost first. */
  path?: readonly string[];
}

/**
 * Instantiation could not link: a missing import, an import of the wrong
 * kind or type, or an instantiation limit reached.
 *
 * @example
 * ```ts
 * import { compile, instantiate, LinkError } from "@mlink/mlink";
 * const m = await compile(`(module (import "env" "log" (func)))`);
 * try {
 *   await instantiate(m, {});
 * } catch (e) {
 *   if (e instanceof LinkError) console.log(e.reason, e.path);
 * }
 * ```
 */
export class LinkError extends WebAssembly.LinkError {
  /** The message without the module path. */
  readonly reason: string;
  /** Path of nested modules whose instantiation failed, outermost first. */
  readonly path: readonly string[];

  /** Makes an error; the message gets the path added. */
  constructor(reason: string, where: LinkLocation = {}, options?: ErrorOptions) {
    super(located(reason, where), options);
    this.name = "LinkError";
    this.reason = reason;
    this.path = where.path ?? [];
  }
}

/** Where an artifact error was found. */
export interface ArtifactLocation {
  /** The artifact's file, cache entry or manifest, as the caller named it. */
  source?: string;
}

/**
 * A serialized artifact that cannot be loaded: truncated, corrupt, foreign
 * or of another format version; or a cache or manifest that does not hold
 * what was asked for.
 *
 * @example
 * ```ts
 * import { ArtifactError, loadArtifact } from "@mlink/mlink/loader";
 * try {
 *   await loadArtifact(new Uint8Array([0, 0x6d, 0x6c, 0x6b, 1]), "app.mlk");
 * } catch (e) {
 *   if (e instanceof ArtifactError) console.log(e.message); // app.mlk: truncated artifact: header cut short
 * }
 * ```
 */
export class ArtifactError extends Error {
  /** The message without the source. */
  readonly reason: string;

  /** Makes an error; `where.source` (a file name, say) is put in front of the message. */
  constructor(reason: string, where: ArtifactLocation = {}, options?: ErrorOptions) {
    super(where.source ? `${where.source}: ${reason}` : reason, options);
    this.name = "ArtifactError";
    this.reason = reason;
  }
}

/**
 * Where in a text an error was found.
 *
 * @example
 * ```ts
 * import { compile, CompileError, type TextLocation } from "@mlink/mlink";
 * try {
 *   await compile("(module (func (result i32) i64.const 1))", { filename: "app.wat" });
 * } catch (e) {
 *   const where: TextLocation | undefined = e instanceof CompileError ? e.text : undefined;
 *   console.log(where?.line, where?.column); // 1 39: where V8 found the mismatch, the end of the body
 * }
 * ```
 */
export interface TextLocation {
  /** File name given to the parser (`input.wat` if none). */
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
  /** The offending source line, shown under the message with a caret. */
  excerpt?: string;
}

/**
 * Module-linking text that cannot be parsed or resolved.
 *
 * @example
 * ```ts
 * import { compile, WatError } from "@mlink/mlink";
 * try {
 *   await compile(`(module (func $f) (export "g" (func $g)))`, { filename: "app.wat" });
 * } catch (e) {
 *   if (e instanceof WatError) console.log(e.file, e.line, e.column, e.reason);
 * }
 * ```
 */
export class WatError extends Error {
  /** The message without location. */
  readonly reason: string;
  /** File name given to the parser (`input.wat` if none). */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;

  /**
   * Makes an error at `file:line:column`; `where.excerpt` is the offending
   * source line, shown under the message with a caret.
   */
  constructor(reason: string, where: TextLocation, options?: ErrorOptions) {
    const { file, line, column } = where;
    super(textLocated(reason, where), options);
    this.name = "WatError";
    this.reason = reason;
    this.file = file;
    this.line = line;
    this.column = column;
  }
}
