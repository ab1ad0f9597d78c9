/**
 * A fused form in an artifact (see `FusedModule` in `lib/compiled.ts`):
 * its core module, program, exports, built instances, instance paths,
 * modules and code offsets, and the checks of its built instances. Used by
 * a module's fusion record and by its fused steps.
 *
 * @module
 */

import type { BuiltExport, BuiltInstance, FusedModule } from "../../compiled.ts";
import { type EntityKind, isCoreKind, Kind } from "../../ir.ts";
import { MAX_FUSED_PATH_UNITS } from "../../limits.ts";
import type { TypeTables } from "../../types.ts";
import type { ArtifactReader } from "../bytes.ts";
import { BYTES, type Codec, type ListCodec, oneOf, vec } from "../codec.ts";
import type { BlobContext } from "./context.ts";
import { KIND } from "./entity.ts";
import { INITIALIZER } from "./initializer.ts";

/** Where a built instance's export comes from: the one table of sources. */
const FROM = oneOf({ core: 0, space: 1, built: 2 }, "malformed built export");

const BUILT_EXPORT: Codec<BuiltExport> = {
  write(w, e) {
    w.string(e.name);
    KIND.write(w, e.kind);
    FROM.write(w, e.from);
    w.uint(e.index);
    w.string(e.core);
  },
  read(r) {
    const e: BuiltExport = {
      name: r.string(),
      kind: KIND.read(r),
      from: FROM.read(r),
      index: r.uint(),
      core: r.string(),
    };
    if (e.from === "core" && !isCoreKind(e.kind)) r.fail("malformed built export");
    if (e.from === "built" && e.kind !== Kind.Instance) r.fail("malformed built export");
    return e;
  },
};

const BUILT: Codec<BuiltInstance, BlobContext> = {
  write(w, b) {
    w.uint(b.type);
    BUILT_EXPORTS.write(w, b.exports);
  },
  read: (r, c) => ({
    type: r.below(c.types.instances.length, "instance type"),
    exports: BUILT_EXPORTS.read(r),
  }),
};

const BUILT_EXPORTS = vec(BUILT_EXPORT, "built export");
const BUILT_INSTANCES = vec(BUILT, "built instance");
const FUSED_INITIALIZERS = vec(INITIALIZER, "initializer");
/**
 * The fused instances' paths. Nested instances' paths grow with depth, and
 * one instance's path mostly repeats the one before (a sibling's, a
 * parent's or a child's), so each is written as how many leading UTF-16
 * units it shares with the one before, then the rest: linear in the
 * graph, where whole paths would be quadratic in its depth.
 */
const PATHS: ListCodec<string> = {
  write(w, paths) {
    w.uint(paths.length);
    let previous = "";
    for (const path of paths) {
      const shared = sharedPrefix(previous, path);
      w.uint(shared);
      w.string(path.slice(shared));
      previous = path;
    }
  },
  read(r) {
    const count = r.count("fused instance");
    const paths: string[] = [];
    let previous = "";
    let units = 0;
    for (let i = 0; i < count; i++) {
      const shared = r.below(previous.length + 1, "fused instance path");
      previous = previous.slice(0, shared) + r.string();
      units += previous.length;
      if (units > MAX_FUSED_PATH_UNITS) {
        r.fail(`fused instance paths longer than ${MAX_FUSED_PATH_UNITS} units in all`);
      }
      paths.push(previous);
    }
    return paths;
  },
};

/** How many leading UTF-16 units `a` and `b` share, never splitting a surrogate pair. */
function sharedPrefix(a: string, b: string): number {
  const most = Math.min(a.length, b.length);
  let n = 0;
  while (n < most && a.charCodeAt(n) === b.charCodeAt(n)) n++;
  // The rest is written as UTF-8: it must not start with half a pair.
  const last = n > 0 ? a.charCodeAt(n - 1) : 0;
  return last >= 0xd800 && last < 0xdc00 ? n - 1 : n;
}

const CODE_STARTS = vec<number>(
  { write: (w, n) => w.uint(n), read: (r) => r.uint() },
  "code offset",
);
const FUSED_MODULES = vec<number, BlobContext>({
  write: (w, m) => w.uint(m),
  read: (r, c) => r.below(c.moduleCount, "fused module"),
}, "fused module");

/** A fused form: its core, program, exports, built instances, paths, modules and code offsets. */
export const FUSED: Codec<FusedModule, BlobContext> = {
  write(w, f) {
    BYTES.write(w, f.core);
    FUSED_INITIALIZERS.write(w, f.initializers);
    BUILT_EXPORTS.write(w, f.exports);
    BUILT_INSTANCES.write(w, f.built);
    PATHS.write(w, f.instances);
    FUSED_MODULES.write(w, f.modules);
    CODE_STARTS.write(w, f.code);
  },
  read: (r, c) => ({
    core: BYTES.read(r),
    initializers: FUSED_INITIALIZERS.read(r, c),
    exports: BUILT_EXPORTS.read(r),
    built: BUILT_INSTANCES.read(r, c),
    instances: PATHS.read(r),
    modules: FUSED_MODULES.read(r, c),
    code: CODE_STARTS.read(r),
  }),
};

/** Checks one source of a built or fused export; `builtBelow` bounds the built instances it may name. */
export type SourceCheck = (e: BuiltExport, what: string, builtBelow: number) => void;

/** The source check over index spaces that `inRange` bounds. */
export function sourceCheck(
  r: ArtifactReader,
  inRange: (kind: EntityKind, index: number, what: string) => void,
): SourceCheck {
  return (e, what, builtBelow) => {
    if (e.from === "space") inRange(e.kind, e.index, `${what} ${JSON.stringify(e.name)}`);
    // Each built instance holds only those built before it.
    if (e.from === "built" && e.index >= builtBelow) {
      r.fail(`${what} ${JSON.stringify(e.name)}: built instance out of range`);
    }
  };
}

/** Checks a fused form's built instances against their types and their sources. */
export function verifyBuilt(
  r: ArtifactReader,
  types: TypeTables,
  fused: FusedModule,
  checkSource: SourceCheck,
): void {
  if (
    fused.modules.length !== fused.instances.length ||
    fused.code.length !== fused.instances.length
  ) {
    r.fail("fused modules and instances do not match");
  }
  fused.built.forEach((b, i) => {
    const promised = types.instances[b.type].exports;
    const matches = promised.length === b.exports.length &&
      promised.every((p, k) => p.name === b.exports[k].name && p.type.kind === b.exports[k].kind);
    if (!matches) r.fail(`built instance ${i} does not match its instance type`);
    for (const e of b.exports) checkSource(e, "built export", i);
  });
}
