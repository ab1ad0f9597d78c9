/**
 * Lowers one `(module …)` form to its module-linking IR: the
 * module-linking layer is resolved here, the core part is assembled by wabt
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

import {
  type AliasSection,
  type EntityKind,
  type Export,
  type ImportSection,
  type InstanceSection,
  isCoreKind,
  Kind,
  kindName,
  type ModuleSection,
  type Section,
  SectionId,
  type TypeSection,
  unreachable,
} from "../ir.ts";
import { MAX_MODULES, MAX_NESTING_DEPTH } from "../limits.ts";
import { fieldName } from "./annotations.ts";
import { assembleCoreFields, assembleCoreModule, type CoreOutput, noCoreOutput } from "./core.ts";
import type { Edit } from "./coretext.ts";
import { kindOf } from "./desc.ts";
import { embeddedBody, lowerEmbedded } from "./embed.ts";
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
import { aKind, CORE_KINDS, entityKind } from "./kinds.ts";
import { type LowerContext, type Lowered, type ModuleForm, moduleName } from "./lowering.ts";
import { namesOf } from "../binary/names.ts";
import { type Entry, Scope } from "./scope.ts";
import type { SAtom, SList } from "./sexpr.ts";
import { stringValue } from "./sexpr.ts";
import type { EntityShape, ModuleShape } from "./shapes.ts";
import { itemRef } from "./sugar.ts";
import { Cursor } from "./syntax.ts";
import type { CoreAssembler } from "./wabt.ts";

/**
 * Lowers `form`, nested in `parent` (if any), to its IR and module shape.
 *
 * @throws {WatError} for any error in the text, core parts included.
 */
export function lowerModule(form: ModuleForm, ctx: LowerContext, parent?: Scope): Lowered {
  const scope = openScope(form, ctx, parent);
  const classified = classify(scope, form.fields);
  let fields = classified.fields;
  if (!classified.moduleLinking) {
    // A plain core module: wabt lays it out exactly as core wasm does.
    if (classified.coreDefs) {
      return assembleCoreModule(scope, form, fields, coreAssembler(ctx, form));
    }
    // Without definitions we do it ourselves, in core order: explicit types
    // first, then the implicit types of the imports, then the imports.
    fields = fields.filter((f) => f.tag === "type").concat(fields.filter((f) => f.tag !== "type"));
  }
  const { exports, exportOf } = lowerFields(scope, fields, ctx);
  // Aliases for core code and exports come after every module-linking entry.
  const edits = resolveLateReferences(scope, fields, exportOf);
  // Local core definitions follow every imported and aliased item of their kind.
  const bases = CORE_KINDS.map((kind) => scope.spaces[kind].length);
  for (const fix of scope.fixups) fix(bases);
  const core = classified.coreDefs
    ? assembleCoreFields(scope, form, fields, edits, coreAssembler(ctx, form))
    : noCoreOutput();
  return finishModule(scope, form, core, moduleExports(scope, exports, bases, core));
}

/** The scope of a new module, counted against the limits of nesting and of modules in one text. */
function openScope(form: ModuleForm, ctx: LowerContext, parent: Scope | undefined): Scope {
  const scope = new Scope(ctx.file, parent, form.id, form.origin);
  if (scope.depth > MAX_NESTING_DEPTH) {
    throw ctx.file.error(form.origin, `modules nested more than ${MAX_NESTING_DEPTH} deep`);
  }
  if (++ctx.modules.count > MAX_MODULES) {
    throw ctx.file.error(form.origin, `more than ${MAX_MODULES} modules in one text`);
  }
  return scope;
}

/**
 * Lowers the fields in source order into the scope's entries; returns the
 * module's exports in source order, and those of `(export …)` fields by
 * field, to be resolved once every module-linking entry exists.
 */
function lowerFields(
  scope: Scope,
  fields: readonly Field[],
  ctx: LowerContext,
): { exports: PendingExport[]; exportOf: Map<Field, PendingExport> } {
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
        nameFunc(scope, f, importField(scope, f, exports));
        break;
      case "inline-import":
        nameFunc(scope, f, inlineImportField(scope, f, exports));
        break;
      case "alias":
        nameFunc(scope, f, aliasField(scope, f, exports));
        break;
      case "inline-alias":
        nameFunc(scope, f, inlineAliasField(scope, f, exports));
        break;
      case "instance":
        instanceField(scope, f, exports);
        break;
      case "module":
        moduleField(scope, f, exports, (nested) => lowerNested(scope, nested, ctx));
        break;
      case "export": {
        const e = exportField(scope, f);
        exportOf.set(f, e);
        exports.push(e);
        break;
      }
      case "local":
        localExports(scope, f, exports);
        if (f.kind === Kind.Func) {
          const local = f.local!;
          scope.fixups.push((bases) => nameFunc(scope, f, bases[Kind.Func] + local));
        }
        break;
      case "core":
        break;
      default:
        unreachable(f.tag, "field tag");
    }
  }
  scope.flushRun();
  return { exports, exportOf };
}

/**
 * Records the name a `(@name "…")` annotation gives function `index`, that
 * field `f` defines, imports or aliases (on its description, for `(import …)`
 * and `(alias …)` fields).
 */
function nameFunc(scope: Scope, f: Field, index: number): void {
  if (f.kind !== Kind.Func) return;
  const name = fieldName(f, scope.file);
  if (name !== undefined) scope.funcNames.set(index, name);
}

/** Lowers the nested module of field `nested`, written as text or given as a binary. */
function lowerNested(scope: Scope, nested: Field, ctx: LowerContext): Lowered {
  const body = embeddedBody(nested.list, nested.rest, scope.file);
  if (body !== undefined) return lowerEmbedded(scope, body, ctx);
  return lowerModule(
    {
      id: nested.id,
      fields: nested.list.items.slice(nested.rest),
      origin: nested.list.start,
      end: nested.list.end,
      list: nested.list,
    },
    ctx,
    scope,
  );
}

/** The inline exports of local core definition `f`, whose index is known once the bases are. */
function localExports(scope: Scope, f: Field, out: PendingExport[]): void {
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
    out.push(e);
  }
}

/**
 * Resolves, in field order, the references made after the module-linking
 * entries: those of `(export …)` fields, and inline alias sugar in core code.
 * Returns the edits that replace the sugar in the core text.
 */
function resolveLateReferences(
  scope: Scope,
  fields: readonly Field[],
  exportOf: ReadonlyMap<Field, PendingExport>,
): Map<Field, Edit[]> {
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
  return edits;
}

/**
 * The module's export section and the shapes of its exports, checking that
 * each exported item exists.
 */
function moduleExports(
  scope: Scope,
  exports: readonly PendingExport[],
  bases: readonly number[],
  core: CoreOutput,
): { section: Export[]; shapes: Map<string, EntityShape> } {
  const section: Export[] = [];
  const shapes = new Map<string, EntityShape>();
  for (const e of exports) {
    section.push({ name: e.name, kind: e.kind, index: e.index });
    shapes.set(e.name, exportShape(scope, e, bases, core));
  }
  return { section, shapes };
}

/**
 * The module's sections in binary order, and its shape: the module-linking
 * entries, wabt's extra types and core definitions, the exports, the rest
 * of the core sections, and the module's name.
 */
function finishModule(
  scope: Scope,
  form: ModuleForm,
  core: CoreOutput,
  exports: { section: Export[]; shapes: Map<string, EntityShape> },
): Lowered {
  const sections = groupEntries(scope.entries);
  if (core.extraTypes.length > 0) sections.push({ id: SectionId.Type, types: core.extraTypes });
  for (const s of core.before) sections.push(s);
  if (exports.section.length > 0) sections.push({ id: SectionId.Export, exports: exports.section });
  for (const s of core.after) sections.push(s);
  const names = namesOf(moduleName(form, scope.file), scope.funcNames);
  if (names !== undefined) sections.push(names);
  const type: ModuleShape = { imports: scope.imports, exports: exports.shapes };
  return { ir: { sections }, type };
}

/** The core assembler, which the caller loads when some module has core definitions. */
function coreAssembler(ctx: LowerContext, form: ModuleForm): CoreAssembler {
  if (ctx.assemble === undefined) {
    throw ctx.file.error(form.origin, "internal error: the core compiler was not loaded");
  }
  return ctx.assemble;
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

/** Resolves the reference of an `(export …)` field. */
function resolveExport(scope: Scope, e: PendingExport): void {
  const desc = e.field!.list.items[2] as SList;
  e.index = itemRef(scope, desc, e.kind, (index) => e.index = index);
}

/** Resolves inline alias sugar in core code to the identifier of its (generated) alias. */
function sugarEdit(scope: Scope, list: SList, inner: boolean): Edit {
  const head = (list.items[0] as SAtom).text;
  // Sugar lists were recognized by their kind keyword.
  const kind = head === "type" ? Kind.Type : entityKind(head)!;
  const index = itemRef(scope, list, kind);
  const coreId = kind === Kind.Type
    ? scope.types[index].coreId
    : isCoreKind(kind)
    ? scope.spaces[kind][index].coreId
    : undefined;
  if (coreId === undefined) {
    throw scope.file.error(list.start, `${aKind(kind)} cannot be referenced from core code`);
  }
  if (!inner) return { start: list.start, end: list.end, text: coreId };
  return { start: list.items[1].start, end: list.items[list.items.length - 1].end, text: coreId };
}

/** The shape of an exported item, checking that it exists. */
function exportShape(
  scope: Scope,
  e: PendingExport,
  bases: readonly number[],
  core: CoreOutput,
): EntityShape {
  let type: EntityShape | undefined = scope.spaces[e.kind][e.index]?.type;
  if (type === undefined && isCoreKind(e.kind)) {
    type = core.locals[e.kind][e.index - bases[e.kind]];
  }
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
      case SectionId.Type:
        (last as TypeSection).types.push(e.item);
        break;
      case SectionId.Import:
        (last as ImportSection).imports.push(e.item);
        break;
      case SectionId.Module:
        (last as ModuleSection).modules.push(e.item);
        break;
      case SectionId.Instance:
        (last as InstanceSection).instances.push(e.item);
        break;
      case SectionId.Alias:
        (last as AliasSection).aliases.push(e.item);
        break;
      default:
        unreachable(e, "section entry");
    }
  }
  return sections;
}

/** An empty section of the kind entry `section` goes in. */
function emptySection(id: Entry["section"]): Section {
  switch (id) {
    case SectionId.Type:
      return { id, types: [] };
    case SectionId.Import:
      return { id, imports: [] };
    case SectionId.Module:
      return { id, modules: [] };
    case SectionId.Instance:
      return { id, instances: [] };
    case SectionId.Alias:
      return { id, aliases: [] };
    default:
      return unreachable(id, "section id");
  }
}
