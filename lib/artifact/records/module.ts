/**
 * The compiled module record and the records only it holds: exports,
 * imports and upvars. Reading one checks the indices it can check alone;
 * {@linkcode verifyModule} checks the rest once the whole blob is read.
 *
 * @module
 */

import type {
  CompiledExport,
  CompiledImport,
  CompiledModule,
  ModuleUpvar,
} from "../../compiled.ts";
import { isCoreKind } from "../../ir.ts";
import type { TypeTables } from "../../types.ts";
import type { ArtifactReader } from "../bytes.ts";
import { BYTES, type Codec, flag, oneOf, optional, STRING, vec } from "../codec.ts";
import { type BlobContext, Replay } from "./context.ts";
import { ENTITY, KIND, sameEntity } from "./entity.ts";
import { FUSION, verifyFusion } from "./fusion.ts";
import { INITIALIZER, verifyInitializer } from "./initializer.ts";
import { checkReference } from "./types.ts";

const LOCAL = flag("malformed export");

/** Exports. Only core kinds can be local: the core instance has no others. */
const EXPORTS = vec<CompiledExport>({
  write(w, e) {
    w.string(e.name);
    KIND.write(w, e.kind);
    w.uint(e.index);
    LOCAL.write(w, e.local);
  },
  read(r) {
    const e = { name: r.string(), kind: KIND.read(r), index: r.uint(), local: LOCAL.read(r) };
    if (e.local && !isCoreKind(e.kind)) r.fail("malformed export");
    return e;
  },
}, "export");

const FIELD = optional(STRING, "malformed import");

/** Imports as written: `field` is `null` for a single-level one. */
const IMPORTS = vec<CompiledImport>({
  write(w, i) {
    w.string(i.module);
    FIELD.write(w, i.field);
    ENTITY.write(w, i.type);
  },
  read: (r) => ({ module: r.string(), field: FIELD.read(r), type: ENTITY.read(r) }),
}, "import");

/** Where an enclosing module's instance finds a captured module: the one table of sources. */
const FROM = oneOf({ space: 0, upvar: 1 }, "malformed upvar");

/** Captured modules. */
const UPVARS = vec<ModuleUpvar>({
  write(w, u) {
    FROM.write(w, u.from);
    w.uint(u.index);
  },
  read: (r) => ({ from: FROM.read(r), index: r.uint() }),
}, "upvar");

/** The core wasm module, if any. */
const CORE = optional(BYTES, "malformed core module flag");

const INITIALIZERS = vec(INITIALIZER, "initializer");

/** The modules nested directly in a module, by index in the blob. */
const CHILDREN = vec<number, BlobContext>({
  write: (w, child) => w.uint(child),
  read: (r, c) => r.below(c.moduleCount, "child module"),
}, "child");

/** A compiled module of a blob. */
export const MODULE: Codec<CompiledModule, BlobContext> = {
  write(w, m) {
    w.string(m.name);
    CORE.write(w, m.core);
    INITIALIZERS.write(w, m.initializers);
    EXPORTS.write(w, m.exports);
    IMPORTS.write(w, m.imports);
    w.uint(m.type);
    w.uint(m.instanceType);
    UPVARS.write(w, m.upvars);
    CHILDREN.write(w, m.children);
    FUSION.write(w, m.fusion);
  },
  read: (r, c) => ({
    name: r.string(),
    core: CORE.read(r),
    initializers: INITIALIZERS.read(r, c),
    exports: EXPORTS.read(r),
    imports: IMPORTS.read(r),
    type: r.below(c.types.modules.length, "module type"),
    instanceType: r.below(c.types.instances.length, "instance type"),
    upvars: UPVARS.read(r),
    children: CHILDREN.read(r, c),
    fusion: FUSION.read(r, c),
  }),
};

/**
 * Replays module `self` of a blob's initializers over counts of its index
 * spaces, so that every index the runtime will use is known to be in range,
 * every import matches the module type, and nested modules only create
 * later modules; then checks its exports.
 */
export function verifyModule(
  r: ArtifactReader,
  blob: { readonly types: TypeTables; readonly modules: readonly CompiledModule[] },
  self: number,
): void {
  const replay = new Replay(r, blob, self);
  const m = replay.module;
  for (const init of m.initializers) verifyInitializer(init, replay);
  // `Module.imports()` formats these types: each must name one that exists.
  const { funcs, modules, instances } = blob.types;
  for (const i of m.imports) checkReference(r, i.type, funcs, modules, instances);
  for (const e of m.exports) {
    if (!e.local) replay.inRange(e.kind, e.index, `export ${JSON.stringify(e.name)}`);
    else if (m.core === null) r.fail(`export ${JSON.stringify(e.name)} needs a core module`);
  }
  verifyExportTypes(r, blob.types, m);
  verifyFusion(r, blob, self);
}

/**
 * The exports an instance gets must be the ones its module type and
 * instance type promise, in order, by name and kind: `Module.exports()` and
 * import matching read the types, instantiation reads the exports.
 * (Whether each local export exists in the core module, with that kind, is
 * checked when V8 has compiled it.)
 */
function verifyExportTypes(r: ArtifactReader, types: TypeTables, m: CompiledModule): void {
  const promised = types.modules[m.type].exports;
  const instance = types.instances[m.instanceType].exports;
  const what = m.name || "module";
  if (m.exports.length !== promised.length || instance.length !== promised.length) {
    r.fail(`${what}: its exports do not match its module and instance types`);
  }
  const names = new Set<string>();
  for (let i = 0; i < promised.length; i++) {
    const e = m.exports[i];
    if (names.has(e.name)) r.fail(`${what}: export ${JSON.stringify(e.name)} is listed twice`);
    names.add(e.name);
    if (
      e.name !== promised[i].name || e.kind !== promised[i].type.kind ||
      instance[i].name !== e.name || !sameEntity(instance[i].type, promised[i].type)
    ) {
      r.fail(
        `${what}: export ${JSON.stringify(e.name)} does not match its module and instance types`,
      );
    }
  }
}
