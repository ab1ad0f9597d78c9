/**
 * Nested modules written as binaries: `(module $m binary "\00asm…")`, whose
 * strings hold the bytes, and `(module $m (file "m.wasm"))`, whose bytes a
 * caller-supplied reader fetches. Either may be a core module or a
 * module-linking one; its IR is embedded as it decodes, so its bytes reach
 * the output unchanged, and its module type is what the rest of the text
 * instantiates and aliases.
 *
 * This file does no file access itself: {@linkcode readFiles} calls the
 * reader passed to `parseWat`, before lowering starts, because lowering is
 * synchronous and readers usually are not.
 *
 * @module
 */

import { detectContent } from "../content.ts";
import { compileModuleIR } from "../compile/mod.ts";
import { decode } from "../binary/decode.ts";
import { CompileError } from "../errors.ts";
import { type ModuleIR, SectionId } from "../ir.ts";
import { MAX_MODULES, MAX_NESTING_DEPTH } from "../limits.ts";
import { inlineExports } from "./desc.ts";
import type { LowerContext, Lowered, ReadFiles } from "./lowering.ts";
import type { Scope } from "./scope.ts";
import type { SAtom, SExpr, SList, SourceFile } from "./sexpr.ts";
import { stringBytes, stringValue } from "./sexpr.ts";
import { compiledModuleShape } from "./shapes.ts";
import { Cursor, headKeyword, isAtom, isList, shortForm } from "./syntax.ts";

/**
 * Reads the file a `(file "path")` form names, the path as written in the
 * text. Throw an `Error` whose message says why it cannot: it becomes the
 * reason of a `WatError` at the path.
 */
export type FileReader = (path: string) => Uint8Array | Promise<Uint8Array>;

/** The body of a nested module given as a binary. */
export type EmbeddedBody =
  | { form: "binary"; keyword: SAtom; strings: SAtom[] }
  | { form: "file"; list: SList; path: SAtom };

/**
 * The binary body of the nested module `list` whose fields start at item
 * `rest` (after its identifier and inline exports), or undefined when the
 * module is written as text.
 */
export function embeddedBody(
  list: SList,
  rest: number,
  file: SourceFile,
): EmbeddedBody | undefined {
  const first = list.items[rest];
  if (isAtom(first, "keyword", "binary")) {
    const strings = list.items.slice(rest + 1).map((s) => {
      if (!isAtom(s, "string")) {
        throw file.error(s.start, `expected a string, found ${shortForm(s)}`);
      }
      return s;
    });
    return { form: "binary", keyword: first, strings };
  }
  if (!isList(first, "file")) return undefined;
  const c = new Cursor(first, file);
  const path = c.string('a file path string: (file "name.wasm")');
  c.end();
  const after = list.items[rest + 1];
  if (after !== undefined) {
    throw file.error(
      after.start,
      `unexpected ${shortForm(after)}: a module read from a file has no fields`,
    );
  }
  return { form: "file", list: first, path };
}

/** The `(file …)` bodies of every module nested (at any depth) among `fields`. */
function fileBodies(
  fields: readonly SExpr[],
  file: SourceFile,
): (EmbeddedBody & { form: "file" })[] {
  const found: (EmbeddedBody & { form: "file" })[] = [];
  const stack: (readonly SExpr[])[] = [fields];
  while (stack.length > 0) {
    for (const f of stack.pop()!) {
      if (headKeyword(f) !== "module") continue;
      const list = f as SList;
      const c = new Cursor(list, file);
      c.optionalId();
      inlineExports(c);
      // Malformed bodies are reported when the module is lowered.
      const first = list.items[c.i];
      if (isList(first, "file") && isAtom(first.items[1], "string")) {
        found.push({ form: "file", list: first, path: first.items[1] });
      } else {
        stack.push(list.items.slice(c.i));
      }
    }
  }
  return found;
}

/**
 * Reads the file of every `(file …)` module nested among `fields` with
 * `reader`, all at once, each path once.
 *
 * @throws {WatError} at the first `(file …)` when there is no reader, or
 * at the path of the first file (in text order) that cannot be read.
 */
export async function readFiles(
  fields: readonly SExpr[],
  file: SourceFile,
  reader: FileReader | undefined,
): Promise<ReadFiles> {
  const bodies = fileBodies(fields, file);
  const out = new Map<number, Uint8Array>();
  if (bodies.length === 0) return out;
  if (reader === undefined) throw needsReader(file, bodies[0]);
  const reads = new Map<string, Promise<Uint8Array>>();
  const paths = bodies.map((b) => stringValue(b.path, file));
  for (const p of paths) {
    if (!reads.has(p)) reads.set(p, Promise.resolve().then(() => reader(p)));
  }
  // Settle every read before reporting one, so no rejection goes unhandled.
  const results = new Map<string, PromiseSettledResult<Uint8Array>>();
  const settled = await Promise.allSettled(reads.values());
  [...reads.keys()].forEach((p, i) => results.set(p, settled[i]));
  bodies.forEach((b, i) => {
    const result = results.get(paths[i])!;
    if (result.status === "rejected") {
      const e = result.reason;
      throw file.error(b.path.start, e instanceof Error ? e.message : String(e));
    }
    if (!(result.value instanceof Uint8Array)) {
      throw file.error(b.path.start, `cannot read ${paths[i]}: the reader gave no Uint8Array`);
    }
    out.set(b.path.start, result.value);
  });
  return out;
}

function needsReader(file: SourceFile, body: EmbeddedBody & { form: "file" }): Error {
  return file.error(
    body.list.start,
    "(file …) needs a file reader: pass the readFile option to parseWat or compile " +
      "(lib/file_reader.ts has one that reads relative to a directory)",
  );
}

/**
 * Lowers a nested module given as a binary, in `parent`: decodes it,
 * validates it on its own, and returns its IR and module shape.
 *
 * The shape comes from mlink's compiler run on the decoded IR, converted
 * from its type tables. Computing it from the IR would mean a second
 * resolver of module-linking index spaces (imports, implicit instances,
 * aliases, nested modules, instantiations) beside `lib/compile`'s; the
 * compiler already does that, validates the binary while it is at it, and
 * is what will judge these bytes once they are part of the output.
 *
 * @throws {WatError} at the bytes' strings (or the file's path) when they
 * do not decode or validate, naming the byte offset inside the embedded binary.
 */
export function lowerEmbedded(
  parent: Scope,
  body: EmbeddedBody,
  ctx: Pick<LowerContext, "files" | "modules">,
): Lowered {
  const file = parent.file;
  let bytes: Uint8Array;
  let source: string;
  if (body.form === "binary") {
    bytes = stringBytes(body.strings);
    source = "the embedded binary";
  } else {
    const read = ctx.files?.get(body.path.start);
    if (read === undefined) throw needsReader(file, body);
    bytes = read;
    source = stringValue(body.path, file);
    if (detectContent(bytes).kind === "text") {
      throw file.error(
        body.path.start,
        `${source} holds text, not a WebAssembly binary: only binaries can be included ` +
          "(convert it first, e.g. with `cli.ts parse`)",
      );
    }
  }
  // Where an error at `offset` of the bytes is shown: the string holding that byte.
  const blame = (offset?: number): number => {
    if (body.form === "file") return body.path.start;
    let end = 0;
    for (const s of body.strings) {
      end += s.bytes!.length;
      if (offset !== undefined && offset < end) return s.start;
    }
    const s = offset === undefined ? body.strings[0] : body.strings[body.strings.length - 1];
    return (s ?? body.keyword).start;
  };
  let ir: ModuleIR;
  try {
    ir = decode(bytes);
    const { depth, count } = moduleTree(ir);
    if (parent.depth + 1 + depth > MAX_NESTING_DEPTH) {
      throw file.error(blame(), `modules nested more than ${MAX_NESTING_DEPTH} deep`);
    }
    ctx.modules.count += count;
    if (ctx.modules.count > MAX_MODULES) {
      throw file.error(blame(), `more than ${MAX_MODULES} modules in one text`);
    }
    return { ir, type: compiledModuleShape(compileModuleIR(ir)) };
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
    throw file.error(blame(e.offset), located(source, e));
  }
}

/** `in <source>, module 1 > module $x, at byte offset 0x1c: <reason>`. */
function located(source: string, e: CompileError): string {
  let where = `in ${source}`;
  if (e.path.length > 0) where += `, ${e.path.join(" > ")}`;
  if (e.offset !== undefined) where += `, at byte offset 0x${e.offset.toString(16)}`;
  return `${where}: ${e.reason}`;
}

/**
 * How many levels of modules `ir` nests inside itself (0 for none), and how
 * many modules it holds, itself included. Decoding has bounded both.
 */
function moduleTree(ir: ModuleIR): { depth: number; count: number } {
  let depth = 0;
  let count = 1;
  for (const s of ir.sections) {
    if (s.id !== SectionId.Module) continue;
    for (const m of s.modules) {
      const inner = moduleTree(m);
      depth = Math.max(depth, 1 + inner.depth);
      count += inner.count;
    }
  }
  return { depth, count };
}
