/**
 * The compiling entry points: a binary or text into a `Module`.
 *
 * @module
 */

import { type CoreErrorSite, locateCoreError, relocatedError } from "./compile/core_offsets.ts";
import { compileBinary } from "./compile/mod.ts";
import { fuseBlob, fusedModulesOf, FUSION_LIMITS } from "./fuse/fuse.ts";
import type { FusedStep, Fusion } from "./compiled.ts";
import type { PlanLimits } from "./fuse/plan.ts";
import { detectContent, unknownContentMessage } from "./content.ts";
import { typeName } from "./errors.ts";
import { CompileError, WatError } from "./errors.ts";
import { unreachable } from "./ir.ts";
import { coreModuleOf, loadBlob, type LoadedBlob, Module, modulePaths } from "./runtime/module.ts";

/**
 * Options of {@linkcode parseWat}.
 *
 * @example
 * ```ts
 * import { directoryOf, fileReader, parseWat, type ParseWatOptions } from "@mlink/mlink";
 * const options: ParseWatOptions = { filename: "app.wat", readFile: fileReader(directoryOf("app.wat")) };
 * const bytes = await parseWat(`(module (module $child))`, options);
 * ```
 */
export interface ParseWatOptions {
  /** File name used in errors (`input.wat` by default). */
  filename?: string;
  /** Reads the files of nested `(module $m (file "m.wasm"))` forms; see `lib/file_reader.ts`. */
  readFile?: (path: string) => Uint8Array | Promise<Uint8Array>;
}

/**
 * Parses module-linking text into the module-linking binary. The text
 * front-end (and wabt, for the core parts) is loaded the first time this
 * runs, so programs that only compile binaries never load it. Throws
 * `WatError` with `file:line:col`.
 *
 * @example
 * ```ts
 * import { parseWat } from "@mlink/mlink";
 * const bytes = await parseWat(`(module (module $child) (instance (instantiate $child)))`);
 * ```
 */
export async function parseWat(text: string, options?: ParseWatOptions): Promise<Uint8Array> {
  const checked = checkOptions(
    options,
    (message) => new WatError(`parseWat: ${message}`, { file: "input.wat", line: 1, column: 1 }),
  );
  if (typeof text !== "string") {
    throw new WatError(
      `parseWat expects a text string, got ${typeName(text)}`,
      { file: checked.filename ?? "input.wat", line: 1, column: 1 },
    );
  }
  const front = await import("./text/mod.ts");
  return front.parseWat(text, checked);
}

/**
 * Options of {@linkcode compile}.
 *
 * @example
 * ```ts
 * import { compile, type CompileOptions } from "@mlink/mlink";
 * const options: CompileOptions = { filename: "app.wat" }; // errors say app.wat:line:col
 * const module = await compile(`(module (func (export "f")))`, options);
 * ```
 */
export interface CompileOptions {
  /** File name used in text errors (`input.wat` by default). */
  filename?: string;
  /** Reads the files of nested `(module $m (file "m.wasm"))` forms in text; see `lib/file_reader.ts`. */
  readFile?: (path: string) => Uint8Array | Promise<Uint8Array>;
  /**
   * Compile the module's instance graph into one core module when it is
   * known at compile time (default `true`; see `docs/fusion.md`). `false`
   * keeps one core instance per instance, for debugging and comparison.
   */
  fuse?: boolean;
}

/** What `compile` was given, after checking it: a binary's bytes or text. */
type Source = { readonly bytes: Uint8Array } | { readonly text: string };

/**
 * The bytes given to `caller` (`compile`, `validate`, `printWat`, …) as a
 * `Uint8Array` over the same memory, or the `CompileError` a misuse is:
 * anything but an `ArrayBuffer` or a real view (`expected` says what the
 * caller takes), or a detached buffer.
 */
export function bytesOf(
  source: unknown,
  caller: string,
  expected = "a Uint8Array, an ArrayBuffer or a text string",
): Uint8Array {
  // `ArrayBuffer.isView`, not `instanceof`: an object made from
  // `Uint8Array.prototype` is no view, and its getters throw.
  const buffer = source instanceof ArrayBuffer
    ? source
    : ArrayBuffer.isView(source)
    ? source.buffer
    : undefined;
  if (buffer === undefined) {
    throw new CompileError(`${caller} expects ${expected}, got ${typeName(source)}`);
  }
  // A view of a detached buffer cannot even be measured.
  if (buffer instanceof ArrayBuffer && buffer.detached) {
    throw new CompileError(`${caller} was given a detached ArrayBuffer`);
  }
  if (!ArrayBuffer.isView(source)) return new Uint8Array(buffer);
  return source instanceof Uint8Array
    ? source
    : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
}

/**
 * Reads what `compile` or `compileSync` was given: a string is text, and
 * bytes are told apart by content (see `lib/content.ts`). Anything else,
 * an artifact and unrecognizable bytes are `CompileError`s.
 */
function sourceOf(source: unknown, caller: string): Source {
  if (typeof source === "string") return { text: source };
  const bytes = bytesOf(source, caller);
  const content = detectContent(bytes);
  switch (content.kind) {
    case "binary":
      return { bytes };
    case "text":
      return { text: content.text };
    case "artifact":
      throw new CompileError(
        "this is an mlink artifact, not a WebAssembly binary: load it with Module.deserialize()",
      );
    case "unknown":
      throw new CompileError(unknownContentMessage(content.reason));
    default:
      return unreachable(content, "content");
  }
}

/** The checked options of `parseWat` and `compile`. */
interface TextOptions {
  filename?: string;
  readFile?: (path: string) => Uint8Array | Promise<Uint8Array>;
  fuse?: boolean;
}

/** Checks an options object; `fail` makes the error for a misuse. */
export function checkOptions(options: unknown, fail: (message: string) => Error): TextOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw fail(`options must be an object, got ${typeName(options)}`);
  }
  const { filename, readFile, fuse } = options as Record<string, unknown>;
  if (filename !== undefined && typeof filename !== "string") {
    throw fail(`options.filename must be a string, got ${typeName(filename)}`);
  }
  if (readFile !== undefined && typeof readFile !== "function") {
    throw fail(`options.readFile must be a function, got ${typeName(readFile)}`);
  }
  if (fuse !== undefined && typeof fuse !== "boolean") {
    throw fail(`options.fuse must be a boolean, got ${typeName(fuse)}`);
  }
  return {
    filename: filename as string | undefined,
    readFile: readFile as TextOptions["readFile"],
    fuse: fuse as boolean | undefined,
  };
}

/**
 * Compiles a module-linking binary, or its text format, into a `Module`.
 * Every core module is validated by V8 here, and compiled, so instantiating
 * compiles nothing; the fused core (see `fuse`) stands in for the modules
 * it covers, which compile only if they are ever instantiated apart. Bytes are told apart by content: `\0asm` first is a
 * binary, and UTF-8 without NUL bytes is text (`lib/content.ts`); an
 * artifact and anything else are `CompileError`s. Throws `CompileError`
 * (binary, or a misuse) or `WatError` (text).
 *
 * An error V8 finds in a core module is a `CompileError` that points into
 * what was given: for a binary, `offset` is the byte V8 blames (in a
 * function body, the instruction); for text, the message starts with
 * `file:line:col:` of that instruction (or of the function, global or
 * segment) and shows the line, as a `WatError`'s does.
 *
 * @example
 * ```ts
 * import { compile, instantiate } from "@mlink/mlink";
 * const module = await compile(`(module
 *   (module $child (func (export "hi") (result i32) i32.const 42))
 *   (instance $c (instantiate $child))
 *   (export "hi" (func $c "hi")))`);
 * const instance = await instantiate(module);
 * console.log((instance.exports.hi as () => number)()); // 42
 * ```
 */
export async function compile(
  source: Uint8Array | ArrayBuffer | ArrayBufferView | string,
  options?: CompileOptions,
): Promise<Module> {
  const checked = checkOptions(options, (message) => new CompileError(`compile: ${message}`));
  const input = sourceOf(source, "compile");
  const fuse = checked.fuse !== false;
  if ("bytes" in input) return compiled(compileBytes(input.bytes, fuse));
  const bytes = await parseWat(input.text, checked);
  const result = compileBytes(bytes, fuse);
  if (result instanceof Module) return result;
  throw await textError(result, input.text, checked.filename ?? "input.wat");
}

/** A core module that V8 rejected: the error, and where it points in the binary compiled. */
interface CoreFailure {
  readonly error: CompileError;
  readonly site?: CoreErrorSite;
}

function compiled(result: Module | CoreFailure): Module {
  if (result instanceof Module) return result;
  throw result.error;
}

function compileBytes(bytes: Uint8Array, fuse: boolean): Module | CoreFailure {
  const blob = loadBlob(compileBinary(bytes));
  let fusions: (Fusion | null)[] | undefined;
  // Fusing reads core modules V8 has not validated yet: an invalid one may
  // make it fail in any way, which only counts once they all validate.
  let fuseError: unknown;
  if (fuse) {
    try {
      fusions = fuseBlob(blob.compiled);
    } catch (e) {
      fuseError = e;
    }
  }
  const covered = new Set<number>();
  for (const fusion of fusions ?? []) {
    if (fusion !== null) fusedModulesOf(fusion).forEach((m) => covered.add(m));
  }
  const failure = compileCores(blob, bytes, covered);
  if (failure !== undefined) return failure;
  if (fuseError !== undefined) throw fuseError;
  const result = fusions === undefined ? blob : withFusions(blob, fusions);
  return new Module(result, result.compiled.root);
}

/**
 * `blob` (unfused) with the fusions {@linkcode fuseBlob} finds within
 * `limits`: its root module fused when its graph is closed, else its
 * nested modules whose graphs are; each fused core compiled here, once,
 * and a fused form V8 refuses kept as the reason there is none. The core
 * modules compiled already are kept: a module value the host instantiates
 * still needs them.
 */
export function fused(blob: LoadedBlob, limits: PlanLimits = FUSION_LIMITS): LoadedBlob {
  return withFusions(blob, fuseBlob(blob.compiled, limits));
}

/**
 * `blob` with `fusions` (by module; `null`: not tried), their fused cores
 * compiled: a fused form V8 refuses becomes the reason there is none, and
 * a fused step it refuses is left out.
 */
function withFusions(blob: LoadedBlob, fusions: readonly (Fusion | null)[]): LoadedBlob {
  const { compiled } = blob;
  const cores = new Map<number, WebAssembly.Module>();
  const stepCores = new Map<number, WebAssembly.Module[]>();
  const modules = compiled.modules.map((module, i) => {
    let fusion = fusions[i];
    if (fusion === null || fusion === undefined) return module;
    if (!("reason" in fusion)) {
      try {
        cores.set(i, compileFused(fusion.core));
      } catch (e) {
        fusion = { reason: `V8 refused the fused core module: ${messageOf(e)}` };
      }
    } else if (fusion.steps !== undefined) {
      const kept: FusedStep[] = [];
      const compiledSteps: WebAssembly.Module[] = [];
      for (const step of fusion.steps) {
        try {
          compiledSteps.push(compileFused(step.fused.core));
          kept.push(step);
        } catch {
          // V8 refused this step's core: its instances run as they are.
        }
      }
      fusion = kept.length > 0 ? { ...fusion, steps: kept } : { reason: fusion.reason };
      stepCores.set(i, compiledSteps);
    }
    return { ...module, fusion };
  });
  const result = loadBlob({ ...compiled, modules });
  blob.cores.forEach((c, i) => result.cores[i] = c);
  for (const [i, core] of cores) result.fusedCores[i] = core;
  for (const [i, list] of stepCores) list.forEach((core, k) => result.stepCores[i][k] = core);
  return result;
}

function compileFused(core: Uint8Array): WebAssembly.Module {
  return new WebAssembly.Module(core as Uint8Array<ArrayBuffer>);
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Has V8 check every core module of `blob`, compiled from `bytes`: those
 * `covered` by the fused core are validated only (they compile if a
 * fallback or a module value ever needs them), the others are compiled.
 * An error V8 reports at an offset in a core module comes back pointing at
 * that place in `bytes` instead.
 */
function compileCores(
  blob: LoadedBlob,
  bytes: Uint8Array,
  covered: ReadonlySet<number>,
): CoreFailure | undefined {
  const paths = modulePaths(blob.compiled);
  for (let i = 0; i < blob.compiled.modules.length; i++) {
    const core = blob.compiled.modules[i].core;
    // Validating costs a quarter of compiling; V8 names the error only when it compiles.
    if (core !== null && covered.has(i) && WebAssembly.validate(core as Uint8Array<ArrayBuffer>)) {
      continue;
    }
    try {
      // Synchronous on purpose: V8's asynchronous compile validates lazily
      // the functions nothing can call yet, so an invalid module could compile.
      coreModuleOf(blob, i, paths[i]);
    } catch (e) {
      if (!(e instanceof CompileError) || core === null) throw e;
      const site = locateCoreError(e, { source: bytes, core, module: i });
      return { error: site === undefined ? e : relocatedError(e, site), site };
    }
  }
  return undefined;
}

/**
 * The error for text whose binary V8 rejected: at `file:line:col` of the
 * instruction, function, global or segment it points at (see
 * `text/source_map.ts`), or else the binary's error. The text front-end's
 * source map loads only on this path.
 */
async function textError(failure: CoreFailure, text: string, filename: string): Promise<Error> {
  if (failure.site === undefined) return failure.error;
  const { textCompileError } = await import("./text/source_map.ts");
  return textCompileError(failure.error, { text, filename, site: failure.site }) ?? failure.error;
}

/**
 * Synchronous {@linkcode compile} of a binary. Text needs the asynchronous
 * one (its parser loads on demand): bytes that are text are a
 * `CompileError` saying so. Throws `CompileError`; one from V8's
 * validation has the `offset` of the byte V8 blames.
 *
 * @param source A module-linking (or core) WebAssembly binary.
 * @returns The module, its core modules compiled.
 *
 * @example
 * ```ts
 * import { compileSync, instantiateSync } from "@mlink/mlink";
 * // (module (func (export "f") (result i32) i32.const 42)), in binary
 * const bytes = new Uint8Array([
 *   0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 127, 3, 2, 1, 0,
 *   7, 5, 1, 1, 102, 0, 0, 10, 6, 1, 4, 0, 65, 42, 11,
 * ]);
 * const { exports } = instantiateSync(compileSync(bytes));
 * console.log((exports.f as () => number)()); // 42
 * ```
 */
export function compileSync(
  source: Uint8Array | ArrayBuffer | ArrayBufferView,
  options?: Pick<CompileOptions, "fuse">,
): Module {
  const checked = checkOptions(options, (message) => new CompileError(`compileSync: ${message}`));
  const input = sourceOf(source, "compileSync");
  if ("text" in input) {
    throw new CompileError(
      "this is WebAssembly text: compileSync takes binaries, text needs the asynchronous compile()",
    );
  }
  return compiled(compileBytes(input.bytes, checked.fuse !== false));
}
