/**
 * The fusion record of a module: its fused form (the fused core module, the
 * program that feeds it host values, its exports and the instances built
 * from the core's exports), or the reason it was not fused.
 *
 * @module
 */

import type {
  BuiltExport,
  BuiltInstance,
  CompiledModule,
  FusedModule,
  Fusion,
} from "../../compiled.ts";
import { isCoreKind, Kind } from "../../ir.ts";
import { MAX_FUSED_PATH_UNITS } from "../../limits.ts";
import type { TypeTables } from "../../types.ts";
import type { ArtifactReader } from "../bytes.ts";
import { BYTES, type Codec, type ListCodec, oneOf, vec } from "../codec.ts";
import { type BlobContext, Replay } from "./context.ts";
import { KIND } from "./entity.ts";
import { INITIALIZER, verifyInitializer } from "./initializer.ts";

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

const FUSED: Codec<FusedModule, BlobContext> = {
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

const FORM = oneOf({ none: 0, fused: 1, reason: 2 }, "malformed fusion record");

/** A module's fusion: none tried, its fused form, or why it has none. */
export const FUSION: Codec<Fusion | null, BlobContext> = {
  write(w, fusion) {
    if (fusion === null) {
      FORM.write(w, "none");
    } else if ("reason" in fusion) {
      FORM.write(w, "reason");
      w.string(fusion.reason);
    } else {
      FORM.write(w, "fused");
      FUSED.write(w, fusion);
    }
  },
  read(r, c) {
    switch (FORM.read(r)) {
      case "none":
        return null;
      case "reason":
        return { reason: r.string() };
      case "fused":
        return FUSED.read(r, c);
    }
  },
};

/** Whether `fusion` is a fused form rather than a reason. */
export function isFused(fusion: Fusion | null): fusion is FusedModule {
  return fusion !== null && !("reason" in fusion);
}

/**
 * Replays the fused program of module `self` over counts of its index
 * spaces, then checks that every export and built instance names something
 * that exists: a crafted artifact fails here, not deep in instantiation.
 * (That the fused core exports what they read is checked when V8 has
 * compiled it.)
 */
export function verifyFusion(
  r: ArtifactReader,
  blob: { readonly types: TypeTables; readonly modules: readonly CompiledModule[] },
  self: number,
): void {
  const fused = blob.modules[self].fusion;
  if (!isFused(fused)) return;
  const modules = blob.modules.slice();
  modules[self] = { ...modules[self], initializers: fused.initializers };
  const replay = new Replay(r, { types: blob.types, modules }, self);
  for (const init of fused.initializers) {
    if (init.op === "instantiate" || init.op === "instance") {
      r.fail("a fused program makes no instances of its own");
    }
    verifyInitializer(init, replay);
  }
  if (
    fused.modules.length !== fused.instances.length ||
    fused.code.length !== fused.instances.length
  ) {
    r.fail("fused modules and instances do not match");
  }
  const builtCount = fused.built.length;
  const checkSource = (e: BuiltExport, what: string, builtBelow: number) => {
    if (e.from === "space") replay.inRange(e.kind, e.index, `${what} ${JSON.stringify(e.name)}`);
    // Each built instance holds only those built before it.
    if (e.from === "built" && e.index >= builtBelow) {
      r.fail(`${what} ${JSON.stringify(e.name)}: built instance out of range`);
    }
  };
  fused.built.forEach((b, i) => {
    const promised = blob.types.instances[b.type].exports;
    const matches = promised.length === b.exports.length &&
      promised.every((p, k) => p.name === b.exports[k].name && p.type.kind === b.exports[k].kind);
    if (!matches) r.fail(`built instance ${i} does not match its instance type`);
    for (const e of b.exports) checkSource(e, "built export", i);
  });
  const promised = blob.types.modules[blob.modules[self].type].exports;
  if (fused.exports.length !== promised.length) {
    r.fail("fused exports do not match the module type");
  }
  fused.exports.forEach((e, i) => {
    if (e.name !== promised[i].name || e.kind !== promised[i].type.kind) {
      r.fail(`fused export ${JSON.stringify(e.name)} does not match the module type`);
    }
    checkSource(e, "fused export", builtCount);
  });
}
