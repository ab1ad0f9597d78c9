/**
 * One module's index spaces as the resolver builds them, in binary order,
 * and the entries of its module-linking sections (type, import, module,
 * instance, alias) in the order they will be written.
 *
 * @module
 */

import {
  type Alias,
  type EntityKind,
  type Import,
  type InstanceDef,
  isCoreKind,
  Kind,
  kindName,
  type ModuleIR,
  SectionId,
  type TypeDef,
} from "../ir.ts";
import { type ImplicitInstances, joinImplicitInstance } from "../implicit_instance.ts";
import type { FuncType } from "../types.ts";
import { aKind, type OuterKind, SPACE_KINDS, type SpaceKind } from "./kinds.ts";
import type { SAtom, SExpr } from "./sexpr.ts";
import type { SourceFile } from "./sexpr.ts";
import {
  type EntityShape,
  funcTypeKey,
  type InstanceShape,
  type ModuleShape,
  type TypeShape,
} from "./shapes.ts";
import { isAtom, shortForm, u32 } from "./syntax.ts";

/** An item of a func/table/memory/global/tag/module/instance index space. */
export interface Entity {
  /** Its identifier in the source, if any. */
  id?: string;
  /** The identifier the core text handed to wabt uses for it (the source's, or a generated one), if any. */
  coreId?: string;
  type: EntityShape;
  /** Source offset of its definition (generated items: of the use that made them). */
  origin: number;
}

/** An item of the type index space. */
export interface TypeEntry {
  id?: string;
  /** The identifier the core text handed to wabt uses for it, if any. */
  coreId?: string;
  shape: TypeShape;
  origin: number;
}

/** One entry of a module-linking section, in binary order. */
export type Entry =
  | { section: typeof SectionId.Type; item: TypeDef }
  | { section: typeof SectionId.Import; item: Import }
  | { section: typeof SectionId.Module; item: ModuleIR }
  | { section: typeof SectionId.Instance; item: InstanceDef }
  | { section: typeof SectionId.Alias; item: Alias };

/** What the prescan learnt about an identifier: where it is declared, and its local ordinal for core definitions. */
export interface Declared {
  offset: number;
  /** Set for locally defined funcs/tables/memories/globals: their position among local definitions of their kind. */
  local?: number;
}

/** Entries of a run of consecutive import fields: generated types/aliases are hoisted before the run, so it stays one section. */
interface ImportRun {
  pre: Entry[];
  imports: Entry[];
  /** The implicit instance of each two-level module name of this section. */
  implicit: ImplicitInstances<InstanceShape>;
}

/**
 * Maps from names by kind, each made on first use: most modules name items
 * of few kinds, and a text may hold 100,000 modules.
 */
export class ByKind<V> {
  readonly #maps: (Map<string, V> | undefined)[] = [];

  /** The value of `name` among items of `kind`. */
  get(kind: SpaceKind, name: string): V | undefined {
    return this.#maps[kind]?.get(name);
  }

  /** Whether `name` is known among items of `kind`. */
  has(kind: SpaceKind, name: string): boolean {
    return this.#maps[kind]?.has(name) ?? false;
  }

  /** Sets `name` among items of `kind`. */
  set(kind: SpaceKind, name: string, value: V): void {
    (this.#maps[kind] ??= new Map()).set(name, value);
  }
}

/** The state of one module being lowered. */
export class Scope {
  /** Where errors are reported. */
  readonly file: SourceFile;
  /** The enclosing module, for outer references. */
  readonly parent: Scope | undefined;
  /** The module's identifier, if any. */
  readonly id: SAtom | undefined;
  /** Offset of the module form. */
  readonly origin: number;
  /** The type index space. */
  readonly types: TypeEntry[] = [];
  /** Entity index spaces by kind. Local core definitions are not in them. */
  readonly spaces: Readonly<Record<EntityKind, Entity[]>> = {
    [Kind.Func]: [],
    [Kind.Table]: [],
    [Kind.Memory]: [],
    [Kind.Global]: [],
    [Kind.Tag]: [],
    [Kind.Module]: [],
    [Kind.Instance]: [],
  };
  /** Identifiers defined so far, by kind (types included). */
  readonly ids: ByKind<number> = new ByKind();
  /** Every identifier the module declares, by kind, from the prescan. */
  readonly declared: ByKind<Declared> = new ByKind();
  /** Module-linking entries in binary order. */
  readonly entries: Entry[] = [];
  /** The module's imports, for its module type. */
  readonly imports: ModuleShape["imports"] = [];
  /** Patches run once the index of the first local definition of each core kind is known. */
  readonly fixups: ((bases: readonly number[]) => void)[] = [];
  /** Names `(@name "…")` annotations give functions, by function index, for the name section. */
  readonly funcNames: Map<number, string> = new Map();
  /** How deep inline module/instance types are nested where parsing is now. */
  typeDepth = 0;
  readonly #funcTypes = new Map<string, number>();
  readonly #generated = new Map<string, number>();
  #generatedIds = 0;
  #run: ImportRun | null = null;
  #inImport = false;

  /** A scope for the module at `origin`, nested in `parent`. */
  constructor(file: SourceFile, parent: Scope | undefined, id: SAtom | undefined, origin: number) {
    this.file = file;
    this.parent = parent;
    this.id = id;
    this.origin = origin;
  }

  /** `module $name`, or where the module starts when it has no name. */
  get label(): string {
    if (this.id !== undefined) return `module ${this.id.text}`;
    const { line, column } = this.file.position(this.origin);
    return `the module at ${line}:${column}`;
  }

  /** How many modules enclose this one. */
  get depth(): number {
    let d = 0;
    for (let s = this.parent; s !== undefined; s = s.parent) d++;
    return d;
  }

  // ---- placement ---------------------------------------------------------

  /** Starts a field: import fields extend the current import run, anything else ends it. */
  beginField(isImport: boolean): void {
    if (!isImport) this.flushRun();
    else this.#run ??= { pre: [], imports: [], implicit: new Map() };
    this.#inImport = isImport;
  }

  /** Writes out the pending import run: its hoisted entries, then its imports. */
  flushRun(): void {
    const run = this.#run;
    if (run === null) return;
    for (const e of run.pre) this.entries.push(e);
    for (const e of run.imports) this.entries.push(e);
    this.#run = null;
    this.#inImport = false;
  }

  /** Where generated types and aliases go: before the import run, or next in line. */
  #sink(): Entry[] {
    return this.#inImport && this.#run !== null ? this.#run.pre : this.entries;
  }

  #generateId(): string {
    return `${generatedIdPrefix(this.file)}${(this.#generatedIds++).toString(36)}`;
  }

  #define(kind: SpaceKind, id: SAtom | undefined, index: number): void {
    if (id === undefined) return;
    if (this.ids.has(kind, id.text)) {
      throw this.file.error(id.start, `duplicate ${kindName(kind)} ${id.text}`);
    }
    this.ids.set(kind, id.text, index);
  }

  // ---- definitions -------------------------------------------------------

  /** Adds a type (explicit, or generated for an inline type); returns its index. */
  addType(shape: TypeShape, def: TypeDef, origin: number, id?: SAtom): number {
    this.#sink().push({ section: SectionId.Type, item: def });
    return this.#typeEntry(shape, origin, id);
  }

  /** Adds a function type (explicit, or generated for an inline signature); returns its index. */
  addFuncType(func: FuncType, origin: number, id?: SAtom): number {
    const def: TypeDef = { form: "func", params: [...func.params], results: [...func.results] };
    return this.addType({ form: "func", func }, def, origin, id);
  }

  #typeEntry(shape: TypeShape, origin: number, id: SAtom | undefined): number {
    const index = this.types.length;
    this.types.push({ id: id?.text, coreId: id?.text, shape, origin });
    this.#define(Kind.Type, id, index);
    if (shape.form === "func") {
      const key = funcTypeKey(shape.func);
      if (!this.#funcTypes.has(key)) this.#funcTypes.set(key, index);
    }
    return index;
  }

  /** The first func type equal to `func`, or a new generated one. */
  funcType(func: FuncType, origin: number): number {
    return this.findFuncType(func) ?? this.addFuncType(func, origin);
  }

  /** The first func type equal to `func`, if there is one. */
  findFuncType(func: FuncType): number | undefined {
    return this.#funcTypes.get(funcTypeKey(func));
  }

  /** Adds an import (the current field must be an import); returns its index in its space. */
  addImport(imp: Import, type: EntityShape, origin: number, id?: SAtom): number {
    const run = this.#run!;
    run.imports.push({ section: SectionId.Import, item: imp });
    this.imports.push({ module: imp.module, field: imp.field, type });
    if (imp.field !== null) {
      const implicit = joinImplicitInstance(run.implicit, imp.module, () => {
        // The first two-level import of a name in a section adds an instance.
        const instance: InstanceShape = { exports: new Map() };
        this.spaces[Kind.Instance].push({ type: { kind: Kind.Instance, instance }, origin });
        return instance;
      });
      implicit.exports.set(imp.field, type);
    }
    return this.#entity(type, origin, id, id?.text);
  }

  #entity(
    type: EntityShape,
    origin: number,
    id: SAtom | undefined,
    coreId: string | undefined,
  ): number {
    const space = this.spaces[type.kind];
    const index = space.length;
    space.push({ id: id?.text, coreId, type, origin });
    this.#define(type.kind, id, index);
    return index;
  }

  /** Adds an alias of an entity; returns its index. Generated aliases get an identifier for the core text. */
  addAlias(alias: Alias, type: EntityShape, origin: number, id?: SAtom, generated = false): number {
    this.#sink().push({ section: SectionId.Alias, item: alias });
    return this.#entity(type, origin, id, id?.text ?? (generated ? this.#generateId() : undefined));
  }

  /** Adds an outer alias of a type; returns its index. */
  addTypeAlias(
    alias: Alias,
    shape: TypeShape,
    origin: number,
    id?: SAtom,
    generated = false,
  ): number {
    this.#sink().push({ section: SectionId.Alias, item: alias });
    const index = this.#typeEntry(shape, origin, id);
    if (generated && id === undefined) this.types[index].coreId = this.#generateId();
    return index;
  }

  /** Adds a nested module definition; returns its index. */
  addModule(ir: ModuleIR, type: ModuleShape, origin: number, id?: SAtom): number {
    this.entries.push({ section: SectionId.Module, item: ir });
    return this.#entity({ kind: Kind.Module, module: type }, origin, id, undefined);
  }

  /** Adds an instance definition; returns its index. */
  addInstance(def: InstanceDef, type: InstanceShape, origin: number, id?: SAtom): number {
    this.entries.push({ section: SectionId.Instance, item: def });
    return this.#entity({ kind: Kind.Instance, instance: type }, origin, id, undefined);
  }

  // ---- references --------------------------------------------------------

  /** How many items of `kind` exist so far. */
  count(kind: SpaceKind): number {
    return kind === Kind.Type ? this.types.length : this.spaces[kind].length;
  }

  /**
   * Resolves an index or identifier of `kind` to an item defined so far.
   * A local core definition (named by identifier) is resolved through
   * `patch`, once its index is known; without `patch` it is an error.
   * Numbers of func/table/memory/global are taken as they are (they may
   * name local definitions, which come later in binary order).
   */
  ref(kind: SpaceKind, e: SExpr | undefined, patch?: (index: number) => void): number {
    if (isAtom(e, "number")) {
      const n = u32(e, this.file, `${aKind(kind)} index`);
      if (n >= this.count(kind) && (kind === Kind.Type || !isCoreKind(kind))) {
        throw this.file.error(e.start, `unknown ${kindName(kind)} ${e.text}`);
      }
      return n;
    }
    if (!isAtom(e, "id")) {
      const at = e?.start ?? this.origin;
      throw this.file.error(
        at,
        `expected ${aKind(kind)} index or identifier${e ? `, found ${shortForm(e)}` : ""}`,
      );
    }
    const index = this.ids.get(kind, e.text);
    if (index !== undefined) return index;
    const declared = this.declared.get(kind, e.text);
    if (declared?.local !== undefined && patch !== undefined) {
      const local = declared.local;
      this.fixups.push((bases) => patch(bases[kind] + local));
      return -1;
    }
    if (declared !== undefined) {
      throw this.file.error(
        e.start,
        `${kindName(kind)} ${e.text} cannot be used here: it is defined later in binary order` +
          (declared.local !== undefined
            ? " (local definitions follow all module-linking items)"
            : ""),
      );
    }
    for (const other of SPACE_KINDS) {
      if (this.declared.has(other, e.text)) {
        throw this.file.error(e.start, `${e.text} is ${aKind(other)}, not ${aKind(kind)}`);
      }
    }
    throw this.file.error(e.start, `unknown ${kindName(kind)} ${e.text}`);
  }

  /** The type of instance `index`. */
  instanceType(index: number, at: number): InstanceShape {
    const e = this.spaces[Kind.Instance][index];
    if (e === undefined) throw this.file.error(at, `unknown instance ${index}`);
    return (e.type as EntityShape & { kind: typeof Kind.Instance }).instance;
  }

  /** The type of module `index`. */
  moduleType(index: number, at: number): ModuleShape {
    const e = this.spaces[Kind.Module][index];
    if (e === undefined) throw this.file.error(at, `unknown module ${index}`);
    return (e.type as EntityShape & { kind: typeof Kind.Module }).module;
  }

  /** The type of export `name` of instance `instance`, checked to be of `kind`. */
  exportType(instance: number, kind: EntityKind, name: SAtom, value: string): EntityShape {
    const type = this.instanceType(instance, name.start).exports.get(value);
    if (type === undefined) {
      throw this.file.error(name.start, `unknown instance export ${JSON.stringify(value)}`);
    }
    if (type.kind !== kind) {
      throw this.file.error(
        name.start,
        `instance export ${JSON.stringify(value)} is ${aKind(type.kind)}, not ${aKind(kind)}`,
      );
    }
    return type;
  }

  /** A generated alias of export `value` of `instance` as `kind`, shared by identical uses. */
  exportAlias(instance: number, kind: EntityKind, name: SAtom, value: string): number {
    const key = `e${instance}/${kind}/${value}`;
    const found = this.#generated.get(key);
    if (found !== undefined) return found;
    const type = this.exportType(instance, kind, name, value);
    const index = this.addAlias(
      { form: "instanceExport", instance, kind, name: value },
      type,
      name.start,
      undefined,
      true,
    );
    this.#generated.set(key, index);
    return index;
  }

  /**
   * Finds the enclosing module named by `m` (an identifier, or a depth: 0
   * is the parent) and the index of `x`, of `kind` (module or type), in it.
   */
  outer(
    kind: OuterKind,
    m: SExpr | undefined,
    x: SExpr | undefined,
  ): { depth: number; index: number; target: Scope } {
    const { depth, target } = this.#enclosing(m);
    // The module nested directly in the target, on the way from here.
    const child = childOf(this, target);
    if (isAtom(x, "number")) {
      const n = u32(x, this.file, `${aKind(kind)} index`);
      if (n >= target.count(kind)) {
        throw this.file.error(
          x.start,
          `outer ${
            kindName(kind)
          } ${x.text} is not defined before ${child.label} in ${target.label}`,
        );
      }
      return { depth, index: n, target };
    }
    if (!isAtom(x, "id")) {
      // `m` is an atom: #enclosing has checked it.
      throw this.file.error(x?.start ?? m!.end, `expected ${aKind(kind)} index or identifier`);
    }
    const index = target.ids.get(kind, x.text);
    if (index !== undefined) return { depth, index, target };
    if (target.declared.has(kind, x.text)) {
      throw this.file.error(
        x.start,
        `outer ${kindName(kind)} ${x.text} is not defined before ${child.label}`,
      );
    }
    throw this.file.error(x.start, `unknown ${kindName(kind)} ${x.text} in ${target.label}`);
  }

  /** The enclosing module `m` names (an identifier, or a depth: 0 is the parent), and its depth. */
  #enclosing(m: SExpr | undefined): { depth: number; target: Scope } {
    let target: Scope | undefined;
    let depth = 0;
    if (isAtom(m, "number")) {
      depth = u32(m, this.file, "an outer depth");
      target = this.parent;
      for (let d = 0; d < depth && target !== undefined; d++) target = target.parent;
      if (target === undefined) {
        throw this.file.error(
          m.start,
          this.parent === undefined
            ? "outer alias in a top-level module: there is no enclosing module"
            : `outer depth ${depth} is out of range: ${this.label} is nested ${this.depth} deep`,
        );
      }
    } else if (isAtom(m, "id")) {
      target = this.parent;
      while (target !== undefined && target.id?.text !== m.text) {
        target = target.parent;
        depth++;
      }
      if (target === undefined) {
        const why = this.id?.text === m.text
          ? `${m.text} is this module itself; outer aliases name enclosing modules` +
            (this.parent === undefined ? ", and a top-level module has none" : "")
          : `unknown enclosing module ${m.text}`;
        throw this.file.error(m.start, why);
      }
    } else {
      throw this.file.error(
        m?.start ?? this.origin,
        "expected an enclosing module identifier or depth",
      );
    }
    return { depth, target };
  }

  /** A generated outer alias of a module or type, shared by identical uses. */
  outerAlias(kind: OuterKind, m: SExpr | undefined, x: SExpr | undefined, origin: number): number {
    const { depth, index, target } = this.outer(kind, m, x);
    const key = `o${depth}/${kind}/${index}`;
    const found = this.#generated.get(key);
    if (found !== undefined) return found;
    const alias: Alias = kind === Kind.Type
      ? { form: "outerType", depth, index }
      : { form: "outerModule", depth, index };
    const made = kind === Kind.Type
      ? this.addTypeAlias(alias, target.types[index].shape, origin, undefined, true)
      : this.addAlias(alias, target.spaces[Kind.Module][index].type, origin, undefined, true);
    this.#generated.set(key, made);
    return made;
  }
}

/** The module directly inside `ancestor` on the way from `from` (which is inside it). */
function childOf(from: Scope, ancestor: Scope): Scope {
  let child = from;
  while (child.parent !== undefined && child.parent !== ancestor) child = child.parent;
  return child;
}

const prefixes = new WeakMap<SourceFile, string>();

/**
 * The prefix of generated identifiers: `$~`, or `$~~…` if the text itself
 * uses identifiers starting with `$~`, so generated ones never collide.
 */
function generatedIdPrefix(file: SourceFile): string {
  let prefix = prefixes.get(file);
  if (prefix === undefined) {
    prefix = "$~";
    while (file.source.includes(prefix)) prefix += "~";
    prefixes.set(file, prefix);
  }
  return prefix;
}
