/**
 * Where in the text an error that V8 found in the binary lowered from it
 * comes from. The compiler maps V8's offset to a place in the binary: a
 * (nested) module, and in it a function body (and the instruction), a
 * global, a table, a memory, a segment or the start function
 * (`lib/compile/core_offsets.ts`). This finds that place in the text again:
 * nested modules appear in the text in binary order, and so do local
 * functions, globals and segments within a module; an instruction is found
 * by walking the function's text in the order its binary has them.
 *
 * Best effort, and it never throws: whenever the text and the binary do not
 * line up, it gives up and the caller keeps the binary's error.
 *
 * @module
 */

import type { CoreErrorSite, EntrySite, FuncSite } from "../compile/core_offsets.ts";
import { Opcode } from "../compile/opcodes.ts";
import { CompileError } from "../errors.ts";
import { unreachable } from "../ir.ts";
import { isInlineExport } from "./desc.ts";
import { isCoreDefinition } from "./fields.ts";
import { moduleFormOf } from "./lowering.ts";
import { readSExprs, type SExpr, type SList, SourceFile } from "./sexpr.ts";
import { headKeyword, isAtom, isList } from "./syntax.ts";

/** The text a binary was lowered from, and where V8's error points in the binary. */
export interface TextSite {
  /** The text given to `compile`. */
  readonly text: string;
  /** Its name in messages. */
  readonly filename: string;
  /** Where the error points in the binary lowered from the text. */
  readonly site: CoreErrorSite;
}

/**
 * `error`, which V8 reported for the binary lowered from `where.text`, at
 * the place in the text that `where.site` names: a `CompileError` whose
 * message starts with `file:line:col:` and shows the line. `undefined` when
 * that place cannot be found in the text. Never throws.
 *
 * @example
 * ```ts
 * import { CompileError } from "../errors.ts";
 * import { textCompileError } from "./source_map.ts";
 * const text = "(module\n  (func (result i32)\n    i64.const 1))";
 * const error = new CompileError("invalid core module: … expected type i32, found i64.const");
 * const site = { offset: 0, route: [], item: { kind: "func" as const, index: 0, instruction: 0, opcodes: [0x42, 0x0b] } };
 * textCompileError(error, { text, filename: "a.wat", site })?.message.split("\n")[0];
 * // "a.wat:3:5: invalid core module: … expected type i32, found i64.const"
 * ```
 */
export function textCompileError(error: CompileError, where: TextSite): CompileError | undefined {
  try {
    const at = textOffset(where);
    if (at === undefined) return undefined;
    const text = new SourceFile(where.text, where.filename).location(at);
    return new CompileError(error.reason, { path: error.path, text }, { cause: error.cause });
  } catch {
    // Text that does not read as it did when it was lowered: no position.
    return undefined;
  }
}

/** The text offset of the site, or `undefined`. */
function textOffset({ text, filename, site }: TextSite): number | undefined {
  const fields = moduleFields(topFields(text, filename), site.route);
  if (fields === undefined || site.item === undefined) return undefined;
  return site.item.kind === "func" ? funcOffset(fields, site.item) : entryOffset(fields, site.item);
}

/** The fields of the outermost module, as `parseWat` reads them; `undefined` for a binary or quoted one. */
function topFields(text: string, filename: string): readonly SExpr[] | undefined {
  const forms = readSExprs(text, filename);
  const fields = forms.length === 1 && headKeyword(forms[0]) === "module"
    ? moduleFormOf(forms[0] as SList).fields
    : forms;
  const first = fields[0];
  if (isAtom(first, "keyword", "binary") || isAtom(first, "keyword", "quote")) return undefined;
  return fields;
}

/**
 * The fields of the module that `route` leads to from `fields`: at each
 * step, the route's ordinal among the nested module definitions. A module
 * given as a binary has no text: `undefined`.
 */
function moduleFields(
  fields: readonly SExpr[] | undefined,
  route: readonly number[],
): readonly SExpr[] | undefined {
  for (const ordinal of route) {
    if (fields === undefined) return undefined;
    const nested = definitions(fields, "module")[ordinal];
    if (nested === undefined) return undefined;
    const rest = afterExports(nested);
    const first = nested.items[rest];
    if (isAtom(first, "keyword", "binary") || isList(first, "file")) return undefined;
    fields = nested.items.slice(rest);
  }
  return fields;
}

/** The fields that define a `head` of the module (not inline imports or aliases), in order. */
function definitions(fields: readonly SExpr[], head: string): SList[] {
  return fields.filter((f): f is SList => isList(f, head) && isCoreDefinition(f));
}

/** The index of the first item of a definition after its identifier and inline exports. */
function afterExports(list: SList): number {
  let i = 1;
  if (isAtom(list.items[i], "id")) i++;
  while (isInlineExport(list.items[i])) i++;
  return i;
}

/**
 * Where entry `item` is defined. Segments are numbered in text order, an
 * inline `(data …)` of a memory or `(elem …)` of a table included.
 */
function entryOffset(fields: readonly SExpr[], item: EntrySite): number | undefined {
  switch (item.kind) {
    case "table":
    case "memory":
    case "global":
      return definitions(fields, item.kind)[item.index]?.start;
    case "start":
      return fields.find((f) => isList(f, "start"))?.start;
    case "data":
      return segments(fields, "data", "memory")[item.index]?.start;
    case "elem":
      return segments(fields, "elem", "table")[item.index]?.start;
    default:
      return unreachable(item.kind, "entry kind");
  }
}

/** The `(head …)` segments and the `(owner … (head …))` definitions that hold one inline, in order. */
function segments(fields: readonly SExpr[], head: string, owner: string): SList[] {
  const holdsOne = (f: SList) => isCoreDefinition(f) && f.items.some((e) => isList(e, head));
  return fields.filter((f): f is SList => isList(f, head) || (isList(f, owner) && holdsOne(f)));
}

// ---- instructions ------------------------------------------------------

/** An instruction of a function's text: its word and where to point at it. */
interface TextInstruction {
  readonly name: string;
  readonly at: number;
}

/** Where function body `item` is, at its instruction when the text and the binary line up. */
function funcOffset(fields: readonly SExpr[], item: FuncSite): number | undefined {
  const func = definitions(fields, "func")[item.index];
  if (func === undefined) return undefined;
  if (item.instruction === undefined || item.opcodes === undefined) return func.start;
  const instructions: TextInstruction[] = [];
  sequence(func.items, bodyStart(func), instructions);
  // The function's own `end`: its closing parenthesis.
  instructions.push({ name: "end", at: func.end - 1 });
  if (!linesUp(instructions, item.opcodes)) return func.start;
  return instructions[item.instruction]?.at ?? func.start;
}

/** Lists that a function has before its instructions. */
const FUNC_HEADER = new Set(["export", "import", "type", "param", "result", "local"]);

/** Index of the first instruction of `func`, after its identifier, type use and locals. */
function bodyStart(func: SList): number {
  let i = 1;
  if (isAtom(func.items[i], "id")) i++;
  while (FUNC_HEADER.has(headKeyword(func.items[i]) ?? "")) i++;
  return i;
}

/** Instruction words without a dot; every word with one (`i32.add`, `local.get`) is an instruction. */
const PLAIN_INSTRUCTIONS: ReadonlySet<string> = new Set([
  "unreachable",
  "nop",
  "block",
  "loop",
  "if",
  "else",
  "end",
  "br",
  "br_if",
  "br_table",
  "return",
  "call",
  "call_indirect",
  "return_call",
  "return_call_indirect",
  "call_ref",
  "return_call_ref",
  "drop",
  "select",
  "try",
  "catch",
  "catch_all",
  "delegate",
  "throw",
  "throw_ref",
  "rethrow",
  "try_table",
]);

/** Whether keyword `word` is an instruction, not an immediate such as `offset=4`, `func` or `i32x4`. */
function isInstruction(word: string): boolean {
  return PLAIN_INSTRUCTIONS.has(word) || (word.includes(".") && !word.includes("="));
}

/** The instruction word heading list `e`, if it is a folded instruction. */
function foldedHead(e: SExpr): string | undefined {
  const head = headKeyword(e);
  return head !== undefined && isInstruction(head) ? head : undefined;
}

/** The clauses of a `try_table`, which are immediates though `catch` is an instruction too. */
const TRY_TABLE_CLAUSES = new Set(["catch", "catch_ref", "catch_all", "catch_all_ref"]);

/**
 * Appends the instructions of `items` from `from` on to `out`, in binary
 * order. Atoms that are not instruction words, and lists that are not
 * folded instructions, are immediates and type uses: skipped. An `else`
 * whose branch is empty is not written to the binary: dropped. `clauses`:
 * the items begin with a `try_table`'s catch clauses.
 */
function sequence(
  items: readonly SExpr[],
  from: number,
  out: TextInstruction[],
  clauses = false,
): void {
  // The flat blocks open in this sequence: where each one's `else` is in `out`.
  const open: (number | undefined)[] = [];
  for (let i = from; i < items.length; i++) {
    const e = items[i];
    if (e.type === "list") {
      const head = foldedHead(e);
      if (head === undefined || (clauses && TRY_TABLE_CLAUSES.has(head))) continue;
      clauses = false;
      folded(e, head, out);
      continue;
    }
    if (e.kind !== "keyword" || !isInstruction(e.text)) continue;
    clauses = e.text === "try_table";
    switch (e.text) {
      case "block":
      case "loop":
      case "if":
      case "try":
      case "try_table":
        open.push(undefined);
        break;
      case "else":
        if (open.length > 0) open[open.length - 1] = out.length;
        break;
      case "end":
      case "delegate": {
        const elseAt = open.pop();
        if (elseAt !== undefined && elseAt === out.length - 1) out.pop();
        break;
      }
    }
    out.push({ name: e.text, at: e.start });
  }
}

/** Appends folded instruction `list`, headed by `head`, to `out`: its operands first. */
function folded(list: SList, head: string, out: TextInstruction[]): void {
  const at = list.items[0].start;
  switch (head) {
    case "block":
    case "loop":
    case "try_table":
      out.push({ name: head, at });
      sequence(list.items, 1, out, head === "try_table");
      out.push({ name: "end", at: list.end - 1 });
      return;
    case "if":
      foldedIf(list, at, out);
      return;
    case "try":
      foldedTry(list, at, out);
      return;
    default:
      for (let i = 1; i < list.items.length; i++) {
        const operand = list.items[i];
        const h = foldedHead(operand);
        if (h !== undefined) folded(operand as SList, h, out);
      }
      out.push({ name: head, at });
  }
}

/** `(if label? type? condition* (then …) (else …)?)`. */
function foldedIf(list: SList, at: number, out: TextInstruction[]): void {
  // The condition: folded instructions before the branches.
  for (let i = 1; i < list.items.length; i++) {
    const e = list.items[i];
    const head = headKeyword(e);
    if (head === "then" || head === "else") break;
    const h = foldedHead(e);
    if (h !== undefined) folded(e as SList, h, out);
  }
  out.push({ name: "if", at });
  const then = list.items.find((e) => isList(e, "then")) as SList | undefined;
  if (then !== undefined) sequence(then.items, 1, out);
  const otherwise = list.items.find((e) => isList(e, "else")) as SList | undefined;
  if (otherwise !== undefined) {
    const mark = out.length;
    out.push({ name: "else", at: otherwise.items[0].start });
    sequence(otherwise.items, 1, out);
    if (out.length === mark + 1) out.pop();
  }
  out.push({ name: "end", at: list.end - 1 });
}

/** `(try label? type? (do …) (catch tag …)* (catch_all …)?)`, or with `(delegate label)`. */
function foldedTry(list: SList, at: number, out: TextInstruction[]): void {
  out.push({ name: "try", at });
  let delegate: SList | undefined;
  for (const e of list.items) {
    const head = headKeyword(e);
    if (head === "do") {
      sequence((e as SList).items, 1, out);
    } else if (head === "catch" || head === "catch_all") {
      out.push({ name: head, at: (e as SList).items[0].start });
      sequence((e as SList).items, 1, out);
    } else if (head === "delegate") {
      delegate = e as SList;
    }
  }
  if (delegate !== undefined) out.push({ name: "delegate", at: delegate.items[0].start });
  else out.push({ name: "end", at: list.end - 1 });
}

/** The opcode of each instruction word that opens, divides or closes a block. */
const STRUCTURE: ReadonlyMap<string, number> = new Map<string, number>([
  ["block", Opcode.Block],
  ["loop", Opcode.Loop],
  ["if", Opcode.If],
  ["else", Opcode.Else],
  ["try", Opcode.Try],
  ["catch", Opcode.Catch],
  ["catch_all", Opcode.CatchAll],
  ["delegate", Opcode.Delegate],
  ["try_table", Opcode.TryTable],
  ["end", Opcode.End],
]);
const STRUCTURE_OPCODES: ReadonlySet<number> = new Set(STRUCTURE.values());

/**
 * Whether the text's instructions and the binary's line up: as many, and
 * the block structure at the same places.
 */
function linesUp(text: readonly TextInstruction[], opcodes: readonly number[]): boolean {
  if (text.length !== opcodes.length) return false;
  return text.every(({ name }, i) => {
    const expected = STRUCTURE.get(name);
    return expected !== undefined ? expected === opcodes[i] : !STRUCTURE_OPCODES.has(opcodes[i]);
  });
}
