/**
 * The text front-end: module-linking WebAssembly text → module-linking
 * binary. The module-linking layer is resolved here; the core parts of
 * each module are assembled by wabt, loaded on first use.
 *
 * @example
 * ```ts
 * import { parseWat } from "./mod.ts";
 * const bytes = await parseWat(`(module
 *   (module $child (func (export "hi")))
 *   (instance $c (instantiate $child))
 *   (export "c" (instance $c)))`);
 * ```
 *
 * @module
 */

import { encode } from "../binary/encode.ts";
import { strictUtf8 } from "../encoding.ts";
import { type FileReader, readFiles } from "./embed.ts";
import { isCoreDefinition } from "./fields.ts";
import { type ModuleForm, moduleFormOf } from "./lowering.ts";
import { lowerModule } from "./resolve.ts";
import { readSExprs, type SExpr, type SList, SourceFile, stringBytes } from "./sexpr.ts";
import { headKeyword, isAtom } from "./syntax.ts";
import { loadCoreAssembler } from "./wabt.ts";

export { readSExprs, SourceFile, stringValue } from "./sexpr.ts";
export type { SAtom, SExpr, SList } from "./sexpr.ts";
export type { FileReader } from "./embed.ts";

/** Options of {@linkcode parseWat}. */
export interface ParseWatOptions {
  /** Name shown in errors; `input.wat` by default. */
  filename?: string;
  /**
   * A `(module …)` form read by {@linkcode readSExprs} from this same text:
   * only it is parsed, and positions refer to the whole text.
   */
  module?: SList;
  /**
   * Reads the files that nested modules written `(module $m (file "m.wasm"))`
   * name, given the path as written. Relative paths are the reader's to
   * resolve, usually against the text file's directory: `fileReader` in
   * `lib/file_reader.ts` does so for Deno. Without it, `(file …)` is an error.
   */
  readFile?: FileReader;
}

/**
 * Parses a text holding one module — `(module …)`, or bare module fields
 * as in core wat — into a module-linking binary. `(module binary "…")` and
 * `(module quote "…")` forms are accepted too, and nested modules may be
 * given as binaries: `(module $m binary "…")` or `(module $m (file "m.wasm"))`
 * (see `docs/text-format.md`, which also describes annotations, tags and
 * instances made of exports). Annotations `(@…)` are ignored, but for
 * `(@name "…")` on modules and functions, which goes into the name section.
 *
 * @throws {WatError} for every error in the text, with `file:line:col`;
 * errors in core code come from wabt, mapped to the original position.
 *
 * @example
 * ```ts
 * import { parseWat } from "./mod.ts";
 * const bytes = await parseWat('(module (func (export "f") (result i32) i32.const 1))');
 * console.log(WebAssembly.validate(new Uint8Array(bytes))); // true: no module linking used
 * ```
 */
export async function parseWat(text: string, options: ParseWatOptions = {}): Promise<Uint8Array> {
  const filename = options.filename ?? "input.wat";
  const file = new SourceFile(text, filename);
  let form: ModuleForm;
  if (options.module !== undefined) {
    form = moduleFormOf(options.module);
  } else {
    const forms = readSExprs(text, filename);
    if (forms.length === 1 && headKeyword(forms[0]) === "module") {
      form = moduleFormOf(forms[0] as SList);
    } else {
      form = { fields: forms, origin: 0, end: text.length };
    }
  }
  const special = scriptForm(form, file);
  if (special instanceof Uint8Array) return special;
  if (typeof special === "string") {
    return parseWat(special, { filename, readFile: options.readFile });
  }
  const files = await readFiles(form.fields, file, options.readFile);
  const assemble = hasCoreDefinitions(form.fields) ? await loadCoreAssembler() : undefined;
  try {
    return encode(lowerModule(form, { file, assemble, files, modules: { count: 0 } }).ir);
  } catch (e) {
    // Nesting is bounded where it recurses, but bounds cannot know the stack size.
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      throw file.error(form.origin, "the text is nested too deeply to be parsed");
    }
    throw e;
  }
}

/** `(module binary "…")` → its bytes; `(module quote "…")` → its text; otherwise null. */
function scriptForm(form: ModuleForm, file: SourceFile): Uint8Array | string | null {
  const [first, ...rest] = form.fields;
  if (!isAtom(first, "keyword", "binary") && !isAtom(first, "keyword", "quote")) return null;
  const strings = rest.map((s) => {
    if (!isAtom(s, "string")) throw file.error(s.start, "expected a string");
    return s;
  });
  // Both forms concatenate their strings' bytes, as the reference interpreter does.
  const out = stringBytes(strings);
  if (first.text === "binary") return out;
  try {
    return strictUtf8.decode(out);
  } catch {
    throw file.error(first.start, "malformed UTF-8 encoding");
  }
}

/** Whether some module in `fields` (nested ones included) has core definitions, so wabt is needed. */
function hasCoreDefinitions(fields: readonly SExpr[]): boolean {
  const stack: (readonly SExpr[])[] = [fields];
  while (stack.length > 0) {
    for (const f of stack.pop()!) {
      switch (headKeyword(f)) {
        case "elem":
        case "data":
        case "start":
          return true;
        case "func":
        case "table":
        case "memory":
        case "global":
        case "tag":
          if (isCoreDefinition(f as SList)) return true;
          break;
        case "module":
          stack.push((f as SList).items);
      }
    }
  }
  return false;
}
