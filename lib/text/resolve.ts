/**
 * Lowers one `(module …)` form to a {@linkcode ModuleIR}: the
 * module-linking layer is resolved here, the core part is compiled by wabt
 * (see `core.ts`) and spliced in.
 *
 * Binary order, which fixes every index: the module-linking entries in
 * source order (generated types and aliases right before the entry that
 * needs them; for a run of imports, before the whole run), then the aliases
 * generated for core code and exports, then the types wabt added, then the
 * core sections.
 *
 * @module
 */

import type {
  AliasSection,
  EntityKind,
  Export,
  ImportSection,
  InstanceSection,
  ModuleIR,
  ModuleSection,
  Section,
  TypeSection,
} from "../ir.ts";
import { MAX_MODULES, MAX_NESTING_DEPTH } from "../limits.ts";
import { compileCore, compileCoreOnly, type CoreOutput } from "./core.ts";
import { nameSection } from "../binary/names.ts";
import { entityKind, kindOf } from "./desc.ts";
import { embeddedBody, lowerEmbedded, type ReadFiles } from "./embed.ts";
import { classify, type Field } from "./fields.ts";
import {
  aliasField,
  importField,
  inlineAliasField,
  inlineImportField,
  instanceField,
  moduleField,
  type PendingExport,
  typeField,
} from "./items.ts";
import { type Entry, Scope, TYPE } from "./scope.ts";
import type { SAtom, SExpr, SList, SourceFile } from "./sexpr.ts";
import { stringValue } from "./sexpr.ts";
import { itemRef } from "./sugar.ts";
import { Cursor, isAtom } from "./syntax.ts";
import type { EntType, ModTy } from "./types.ts";
import { aKind, kindName } from "./types.ts";
import type { Edit } from "./coretext.ts";
import type { CoreCompiler } from "./wabt.ts";

/** A module to lower: its fields, identifier and where it starts. */
export interface ModuleForm {
  id?: SAtom;
  fields: readonly SExpr[];
  /** Offset of the `(module` (0 for a file of bare fields). */
  origin: number;
  /** Offset of its end. */
  end: number;
}

/** What lowering needs besides the module. */
export interface LowerContext {
  file: SourceFile;
  /** The core compiler; needed only when some module has core definitions. */
  compile?: CoreCompiler;
  /** Files read for nested `(module (file …))` forms, by the offset of their path. */
  files?: ReadFiles;
  /** Modules lowered so far, embedded ones included, against {@linkcode MAX_MODULES}. */
  modules: { count: number };
}

/** A lowered module and its type, as its parent sees it. */
export interface Lowered {
  ir: ModuleIR;
  type: ModTy;
}

/** The module form of a `(module $id? field*)` list. */
export function moduleFormOf(list: SList): ModuleForm {
  const id = isAtom(list.items[1], "id") ? list.items[1] : undefined;
  return { id, fields: list.items.slice(id ? 2 : 1), origin: list.start, end: list.end };
}

/**
 * Lowers `form`, nested in `parent` (if any), to its IR and module type.
 *
 * @throws {WatError} for any error in the text, core parts included.
 */
export function lowerModule(form: ModuleForm, ctx: LowerContext, parent?: Scope): Lowered {
  const scope = new Scope(ctx.file, parent, form.id, form.origin);
  if (scope.depth > MAX_NESTING_DEPTH) {
    throw ctx.file.error(form.origin, `modules nested more than ${MAX_NESTING_DEPTH} deep`);
  }
  if (++ctx.modules.count > MAX_MODULES) {
    throw ctx.file.error(form.origin, `more than ${MAX_MODULES} modules in one text`);
  }
  const classified = classify(scope, form.fields);
  let fields = classified.fields;
  if (!classified.moduleLinking) {
    // A plain core module: wabt lays it out exactly as core wasm does.
    if (classified.coreDefs) return compileCoreOnly(scope, form, fields, need(ctx, form));
    // Without definitions we do it ourselves, in core order: explicit types
    // first, then the implicit types of the imports, then the imports.
    fields = fields.filter((f) => f.tag === "type").concat(fields.filter((f) => f.tag !== "type"));
  }

  const exports: PendingExport[] = [];
  const exportOf = new Map<Field, PendingExport>();
  for (const f of fields) {
    const isImport = f.tag === "import" || f.tag === "inline-import";
    if (f.tag !== "export" && f.tag !== "local" && f.tag !== "core") scope.beginField(isImport);
    switch (f.tag) {
      case "type":
        typeField(scope, f);
        break;
      case "import":
        importField(scope, f, exports);
        break;
      case "inline-import":
        inlineImportField(scope, f, exports);
        break;
      case "alias":
        aliasField(scope, f, exports);
        break;
      case "inline-alias":
        inlineAliasField(scope, f, exports);
        break;
      case "instance":
        instanceField(scope, f, exports);
        break;
      case "module":
        moduleField(scope, f, exports, (nested) => {
          const body = embeddedBody(nested.list, nested.rest, scope.file);
          if (body !== undefined) return lowerEmbedded(scope, body, ctx);
          return lowerModule(
            {
              id: nested.id,
              fields: nested.list.items.slice(nested.rest),
              origin: nested.list.start,
              end: nested.list.end,
            },
            ctx,
            scope,
          );
        });
        break;
      case "export": {
        const e = exportField(scope, f);
        exportOf.set(f, e);
        exports.push(e);
        break;
      }
      case "local":
        for (const n of f.exports) {
          const kind = f.kind as EntityKind;
          const local = f.local!;
          const e: PendingExport = {
            name: stringValue(n, scope.file),
            kind,
            index: -1,
            origin: n.start,
          };
          scope.fixups.push((bases) => e.index = bases[kind] + local);
          exports.push(e);
        }
        break;
    }
  }
  scope.flushRun();

  // Aliases for core code and exports come after every module-linking entry.
  const edits = new Map<Field, Edit[]>();
  for (const f of fields) {
    const e = exportOf.get(f);
    if (e !== undefined) resolveExport(scope, e);
    else if (f.sugar.length > 0) {
      edits.set(
        f,
        f.sugar.map((use) => sugarEdit(scope, use.list, use.inner)),
      );
    }
  }

  const bases = [0, 1, 2, 3].map((k) => scope.spaces[k].length);
  for (const fix of scope.fixups) fix(bases);

  const sections = groupEntries(scope.entries);
  let core: CoreOutput = { extraTypes: [], before: [], after: [], locals: [[], [], [], []] };
  if (classified.coreDefs) core = compileCore(scope, form, fields, edits, need(ctx, form));
  if (core.extraTypes.length > 0) sections.push({ id: 1, types: core.extraTypes });
  for (const s of core.before) sections.push(s);

  const type: ModTy = { imports: scope.imports, exports: new Map() };
  const out: Export[] = [];
  for (const e of exports) {
    out.push({ name: e.name, kind: e.kind, index: e.index });
    type.exports.set(e.name, entityType(scope, e, bases, core.locals));
  }
  if (out.length > 0) sections.push({ id: 7, exports: out });
  for (const s of core.after) sections.push(s);
  if (form.id !== undefined) sections.push(nameSection(form.id.text.slice(1)));
  return { ir: { sections }, type };
}

function need(ctx: LowerContext, form: ModuleForm): CoreCompiler {
  if (ctx.compile === undefined) {
    throw ctx.file.error(form.origin, "internal error: the core compiler was not loaded");
  }
  return ctx.compile;
}

/** `(export "name" (kind ref))`: the name now, the index once aliases for core code exist. */
function exportField(scope: Scope, f: Field): PendingExport {
  const c = new Cursor(f.list, scope.file);
  const nameAtom = c.peek();
  const name = c.name("an export name");
  const desc = c.listOf(undefined, "an export description such as (func $f)");
  c.end();
  const kind = kindOf(desc, c, "an export kind");
  return { name, kind, index: -1, origin: nameAtom!.start, field: f };
}

function resolveExport(scope: Scope, e: PendingExport): void {
  const desc = e.field!.list.items[2] as SList;
  e.index = itemRef(scope, desc, e.kind, (index) => e.index = index);
}

/** Resolves inline alias sugar in core code to the identifier of its (generated) alias. */
function sugarEdit(scope: Scope, list: SList, inner: boolean): Edit {
  const head = (list.items[0] as SAtom).text;
  // Sugar lists were recognized by their kind keyword.
  const kind = head === "type" ? TYPE : entityKind(head)!;
  const index = itemRef(scope, list, kind);
  const hid = kind === TYPE
    ? scope.types[index].hid
    : kind <= 3
    ? scope.spaces[kind][index].hid
    : undefined;
  if (hid === undefined) {
    throw scope.file.error(list.start, `${aKind(kind)} cannot be referenced from core code`);
  }
  if (!inner) return { start: list.start, end: list.end, text: hid };
  return { start: list.items[1].start, end: list.items[list.items.length - 1].end, text: hid };
}

/** The type of an exported item, checking that it exists. */
function entityType(scope: Scope, e: PendingExport, bases: number[], locals: EntType[][]): EntType {
  const space = scope.spaces[e.kind];
  let type: EntType | undefined = space[e.index]?.type;
  if (type === undefined && e.kind <= 3) type = locals[e.kind][e.index - bases[e.kind]];
  if (type === undefined) {
    throw scope.file.error(e.origin, `unknown ${kindName(e.kind)} ${e.index}`);
  }
  return type;
}

/** Groups consecutive entries of one section kind into sections. */
function groupEntries(entries: readonly Entry[]): Section[] {
  const sections: Section[] = [];
  let last: Section | undefined;
  for (const e of entries) {
    if (last === undefined || last.id !== e.section) {
      last = emptySection(e.section);
      sections.push(last);
    }
    switch (e.section) {
      case 1:
        (last as TypeSection).types.push(e.item);
        break;
      case 2:
        (last as ImportSection).imports.push(e.item);
        break;
      case 14:
        (last as ModuleSection).modules.push(e.item);
        break;
      case 15:
        (last as InstanceSection).instances.push(e.item);
        break;
      case 16:
        (last as AliasSection).aliases.push(e.item);
        break;
    }
  }
  return sections;
}

function emptySection(id: Entry["section"]): Section {
  switch (id) {
    case 1:
      return { id, types: [] };
    case 2:
      return { id, imports: [] };
    case 14:
      return { id, modules: [] };
    case 15:
      return { id, instances: [] };
    case 16:
      return { id, aliases: [] };
  }
}
