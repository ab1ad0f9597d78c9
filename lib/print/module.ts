/**
 * Prints a decoded module-linking module as text that the text front-end
 * reads back to the same binary.
 *
 * Every reference is numeric and every type use explicit, so reading the
 * text back generates nothing: the module-linking entries come back in
 * the order they are printed, which is binary order, and the core part
 * (printed by wabt, see `core.ts`) comes back with the same indices. What
 * the binary may hold but the text cannot say is a note (`;; note: …`):
 * custom sections other than the names, consecutive sections of one kind
 * (the text writes them as one), and core code nested deeper than the text
 * front-end reads.
 *
 * @module
 */

import { usesModuleLinking } from "../compile/order.ts";
import { CompileError } from "../errors.ts";
import { joinImplicitInstance } from "../implicit_instance.ts";
import {
  type Alias,
  type EntityKind,
  type Export,
  type Import,
  type InstanceArg,
  type InstanceDef,
  Kind,
  KIND_NAMES,
  type ModuleIR,
  type Section,
  SectionId,
  type TypeDef,
  unreachable,
} from "../ir.ts";
import { MAX_CORE_TEXT_NESTING } from "../limits.ts";
import { type CoreField, coreFields, isCoreDefinitionSection, wholeModuleFields } from "./core.ts";
import type { Disassembler } from "./disassemble.ts";
import { type ModuleNames, moduleNames } from "./names.ts";
import { identifier, quoted } from "./strings.ts";
import { importText, nameAnnotationText, typeDefText } from "./types.ts";

/** What printing a module needs from around it. */
interface Context {
  readonly disassemble: Disassembler;
  /** The type index spaces of the enclosing modules, outermost first. */
  readonly enclosing: readonly (readonly (TypeDef | undefined)[])[];
  /** How errors name the enclosing modules, outermost first, as the compiler's do. */
  readonly path: readonly string[];
}

/** One indentation level. */
const INDENT = "  ";

/**
 * The text of `ir`.
 *
 * @param disassemble Needed when some module has core definitions; see {@linkcode needsDisassembler}.
 */
export function printModule(ir: ModuleIR, disassemble: Disassembler): string {
  const out: string[] = [];
  const top: Place = { comment: "", siblings: new Set() };
  writeModule(out, ir, "", { disassemble, enclosing: [], path: [] }, top);
  return out.join("\n") + "\n";
}

/** Whether some module in `ir` (nested ones included) has core parts for wabt to print. */
export function needsDisassembler(ir: ModuleIR): boolean {
  const stack: ModuleIR[] = [ir];
  while (stack.length > 0) {
    for (const s of stack.pop()!.sections) {
      if (isCoreDefinitionSection(s.id)) return true;
      if (s.id === SectionId.Module) stack.push(...s.modules);
    }
  }
  return false;
}

/**
 * How a module is introduced: its index comment, its index in its parent's
 * module index space (none for the top-level module), and the names its
 * siblings took.
 */
interface Place {
  comment: string;
  index?: number;
  siblings: Set<string>;
}

function writeModule(out: string[], ir: ModuleIR, indent: string, ctx: Context, place: Place) {
  const notes: string[] = [];
  const names = moduleNames(ir);
  out.push(`${indent}(module${nameText(names, place.siblings, notes)}${place.comment}`);
  const inner = indent + INDENT;
  for (const note of notes) out.push(`${inner};; note: ${note}`);
  const label = names.module !== undefined
    ? `module ${identifier(names.module) ?? quoted(names.module)}`
    : place.index !== undefined
    ? `module ${place.index}`
    : undefined;
  const here: Context = { ...ctx, path: label === undefined ? ctx.path : [...ctx.path, label] };
  try {
    // A core module with definitions is wabt's to print whole, as the text
    // front-end gives it to wabt whole; without, ours writes its few fields.
    if (usesModuleLinking(ir) || !ir.sections.some((s) => isCoreDefinitionSection(s.id))) {
      writeLinkingFields(out, ir, inner, here, names.funcs);
    } else {
      writeCoreFields(out, wholeModuleFields(ir, names.funcs, ctx.disassemble), inner);
    }
  } catch (e) {
    // The printer's own errors do not know which module they are in.
    if (!(e instanceof CompileError) || e.path.length > 0) throw e;
    throw new CompileError(e.reason, { offset: e.offset, path: here.path }, { cause: e });
  }
  // A note is a line comment: the parenthesis goes on a line of its own.
  if (out[out.length - 1].trimStart().startsWith(";;")) out.push(`${indent})`);
  else out[out.length - 1] += ")";
}

/**
 * The module's name as the text writes it: `$name` when the name is an
 * identifier that no sibling module took, `(@name "…")` otherwise. Custom
 * sections the text cannot write are notes.
 */
function nameText(names: ModuleNames, siblings: Set<string>, notes: string[]): string {
  for (const s of names.lost) {
    notes.push(`custom section ${quoted(s.name)} (${s.data.length} bytes) is not printed`);
  }
  if (names.module === undefined) return "";
  const id = identifier(names.module);
  if (id === undefined || siblings.has(id)) return ` ${nameAnnotationText(names.module)}`;
  siblings.add(id);
  return ` ${id}`;
}

/** wabt's fields, each indented as a field of its module. */
function writeCoreFields(out: string[], fields: readonly CoreField[], indent: string): void {
  const deepest = deepestBlock(fields);
  // `(module` and `(func` add to the blocks.
  if (deepest + 2 > MAX_CORE_TEXT_NESTING) {
    out.push(
      `${indent};; note: core code nests ${deepest} blocks deep, and the text front-end reads ` +
        `core code at most ${MAX_CORE_TEXT_NESTING} levels deep: this text does not parse back`,
    );
  }
  for (const f of fields) {
    const [first, ...rest] = f.text.split("\n");
    out.push(indent + first);
    // wabt indents a field's later lines by two more than the field.
    for (const line of rest) out.push(indent + line.replace(/^ {1,2}/, ""));
  }
}

/** How deep blocks nest in `fields`: wabt marks each block with `;; label = @depth`. */
function deepestBlock(fields: readonly CoreField[]): number {
  let deepest = 0;
  for (const f of fields) {
    for (const m of f.text.matchAll(/;; label = @(\d+)$/gm)) deepest = Math.max(deepest, +m[1]);
  }
  return deepest;
}

/** Index comments `(;N;)`, counting each index space as the fields are written. */
class IndexComments {
  readonly #counts: Record<EntityKind | typeof Kind.Type, number> = {
    [Kind.Func]: 0,
    [Kind.Table]: 0,
    [Kind.Memory]: 0,
    [Kind.Global]: 0,
    [Kind.Tag]: 0,
    [Kind.Module]: 0,
    [Kind.Instance]: 0,
    [Kind.Type]: 0,
  };
  readonly #funcNames: ReadonlyMap<number, string>;

  constructor(funcNames: ReadonlyMap<number, string>) {
    this.#funcNames = funcNames;
  }

  /** How many items of `kind` there are so far. */
  count(kind: EntityKind | typeof Kind.Type): number {
    return this.#counts[kind];
  }

  /** The next item of `kind`: its index comment, and for a function its `(@name …)`. */
  next(kind: EntityKind | typeof Kind.Type): string {
    const index = this.#counts[kind]++;
    const name = kind === Kind.Func ? this.#funcNames.get(index) : undefined;
    return ` (;${index};)${name === undefined ? "" : ` ${nameAnnotationText(name)}`}`;
  }

  /** Counts the implicit instances of an import section's two-level imports, which have no field. */
  imports(imports: readonly Import[], each: (imp: Import) => void): void {
    const started = new Map<string, true>();
    for (const imp of imports) {
      if (imp.field !== null) {
        joinImplicitInstance(started, imp.module, () => {
          this.#counts[Kind.Instance]++;
          return true;
        });
      }
      each(imp);
    }
  }
}

/** The fields of a module that uses module linking, in binary order, then its core fields and exports. */
function writeLinkingFields(
  out: string[],
  ir: ModuleIR,
  indent: string,
  ctx: Context,
  funcNames: ReadonlyMap<number, string>,
): void {
  const types = typeSpace(ir, ctx.enclosing);
  const implicit = implicitTypes(ir);
  const index = new IndexComments(funcNames);
  const nested: Context = { ...ctx, enclosing: [...ctx.enclosing, types] };
  const siblings = new Set<string>();
  const exports: Export[] = [];
  let previous: Section | undefined;
  for (const s of ir.sections) {
    const note = mergeNote(previous, s, implicit);
    if (note !== undefined) out.push(`${indent};; note: ${note}`);
    previous = s;
    switch (s.id) {
      case SectionId.Type:
        for (const t of s.types) {
          const comment = index.next(Kind.Type);
          if (s !== implicit) out.push(`${indent}(type${comment} ${typeDefText(t)})`);
        }
        break;
      case SectionId.Import:
        index.imports(s.imports, (imp) => {
          out.push(`${indent}${importText(imp, index.next(imp.desc.kind))}`);
        });
        break;
      case SectionId.Module:
        for (const m of s.modules) {
          const at = index.count(Kind.Module);
          writeModule(out, m, indent, nested, {
            comment: index.next(Kind.Module),
            index: at,
            siblings,
          });
        }
        break;
      case SectionId.Instance:
        for (const def of s.instances) {
          const body = instanceText(def);
          out.push(`${indent}(instance${index.next(Kind.Instance)}${body && ` ${body}`})`);
        }
        break;
      case SectionId.Alias:
        for (const a of s.aliases) out.push(`${indent}${aliasText(a, index.next(aliasKind(a)))}`);
        break;
      case SectionId.Export:
        exports.push(...s.exports);
        break;
      case SectionId.Custom: // Said by the notes of the module's header.
      case SectionId.Function: // The core sections are printed together below, by wabt.
      case SectionId.Table:
      case SectionId.Memory:
      case SectionId.Tag:
      case SectionId.Global:
      case SectionId.Start:
      case SectionId.Element:
      case SectionId.DataCount:
      case SectionId.Code:
      case SectionId.Data:
        break;
      default:
        unreachable(s, "section");
    }
  }
  if (ir.sections.some((s) => isCoreDefinitionSection(s.id))) {
    const range = implicit === undefined ? undefined : implicitRange(ir, implicit);
    const fields = coreFields(ir, {
      typeSpace: types,
      implicit: range,
      funcNames,
      disassemble: ctx.disassemble,
    });
    writeCoreFields(out, fields, indent);
  }
  for (const e of exports) {
    out.push(`${indent}(export ${quoted(e.name)} (${KIND_NAMES[e.kind]} ${e.index}))`);
  }
}

/**
 * The note for section `s` when it follows `previous`, a section of the
 * same kind: the text writes the two as one. (Not for the types wabt added,
 * which it adds again, nor for core sections, which repeat only in invalid
 * modules.)
 */
function mergeNote(
  previous: Section | undefined,
  s: Section,
  implicit: Section | undefined,
): string | undefined {
  if (previous?.id !== s.id || s === implicit) return undefined;
  if (s.id === SectionId.Custom || isCoreDefinitionSection(s.id)) return undefined;
  // One import section makes one implicit instance of each two-level module name.
  const meaning = s.id === SectionId.Import
    ? ", which joins their two-level imports of one module name into one instance"
    : "";
  return `two consecutive ${sectionName(s.id)} sections, written as one${meaning}`;
}

/** The module's type index space: its types, and the types its outer aliases name. */
function typeSpace(
  ir: ModuleIR,
  enclosing: readonly (readonly (TypeDef | undefined)[])[],
): (TypeDef | undefined)[] {
  const types: (TypeDef | undefined)[] = [];
  for (const s of ir.sections) {
    if (s.id === SectionId.Type) types.push(...s.types);
    if (s.id !== SectionId.Alias) continue;
    for (const a of s.aliases) {
      if (a.form === "outerType") types.push(enclosing[enclosing.length - 1 - a.depth]?.[a.index]);
    }
  }
  return types;
}

/**
 * The type section that wabt added when the module was assembled from text:
 * a last type section right after another one (the text front-end writes
 * the module's own types as one section, and the types wabt adds for
 * inline signatures as another, after every module-linking entry). Its
 * types are not printed; the core code's uses of them are written as
 * inline signatures instead, so that wabt adds them again.
 */
function implicitTypes(ir: ModuleIR): Section | undefined {
  const sections = ir.sections;
  let last = -1;
  sections.forEach((s, i) => {
    if (s.id === SectionId.Type) last = i;
  });
  if (last < 1 || sections[last - 1].id !== SectionId.Type) return undefined;
  const section = sections[last];
  if (section.id !== SectionId.Type || section.types.some((t) => t.form !== "func")) {
    return undefined;
  }
  const later = sections.slice(last + 1);
  const onlyCore = later.every((s) =>
    s.id === SectionId.Custom || s.id === SectionId.Export || isCoreDefinitionSection(s.id)
  );
  const defines = later.some((s) => isCoreDefinitionSection(s.id) && s.id !== SectionId.Code);
  return onlyCore && defines ? section : undefined;
}

/** The type indices of the types of `implicit`, a type section of `ir`. */
function implicitRange(ir: ModuleIR, implicit: Section): { from: number; to: number } {
  let from = 0;
  for (const s of ir.sections) {
    if (s === implicit) break;
    if (s.id === SectionId.Type) from += s.types.length;
    if (s.id === SectionId.Alias) from += s.aliases.filter((a) => a.form === "outerType").length;
  }
  const count = implicit.id === SectionId.Type ? implicit.types.length : 0;
  return { from, to: from + count };
}

function sectionName(id: Section["id"]): string {
  const name = Object.entries(SectionId).find(([, v]) => v === id)?.[0] ?? String(id);
  return name.toLowerCase();
}

/** `(func 3)`: an item of this module. */
function itemText(item: InstanceArg): string {
  return `(${KIND_NAMES[item.kind]} ${item.index})`;
}

/** What follows `(instance (;N;)`: `(instantiate M (import "x" (func 0))…)` or `(export "x" (func 0))…`. */
function instanceText(def: InstanceDef): string {
  switch (def.form) {
    case "instantiate": {
      const args = def.args.map((a) => ` (import ${quoted(a.name)} ${itemText(a)})`).join("");
      return `(instantiate ${def.module}${args})`;
    }
    case "exports":
      return def.exports.map((e) => `(export ${quoted(e.name)} ${itemText(e)})`).join(" ");
    default:
      return unreachable(def, "instance definition");
  }
}

/** The index space an alias adds to. */
function aliasKind(a: Alias): EntityKind | typeof Kind.Type {
  switch (a.form) {
    case "instanceExport":
      return a.kind;
    case "outerModule":
      return Kind.Module;
    case "outerType":
      return Kind.Type;
    default:
      return unreachable(a, "alias");
  }
}

/** `(alias 0 "f" (func (;3;)))`, `(alias outer 0 1 (module (;2;)))`, `(alias outer 1 0 (type (;4;)))`. */
function aliasText(a: Alias, comment: string): string {
  switch (a.form) {
    case "instanceExport":
      return `(alias ${a.instance} ${quoted(a.name)} (${KIND_NAMES[a.kind]}${comment}))`;
    case "outerModule":
      return `(alias outer ${a.depth} ${a.index} (module${comment}))`;
    case "outerType":
      return `(alias outer ${a.depth} ${a.index} (type${comment}))`;
    default:
      return unreachable(a, "alias");
  }
}
