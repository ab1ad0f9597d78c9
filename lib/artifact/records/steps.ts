/**
 * The fused steps of a module (see `FusedStep` in `lib/compiled.ts`): runs
 * of its own `instantiate` steps fused into one core module each, with the
 * values each reads from the module when it runs.
 *
 * @module
 */

import type { CompiledModule, FusedStep, StepValue } from "../../compiled.ts";
import { type EntityKind, Kind } from "../../ir.ts";
import type { TypeTables } from "../../types.ts";
import type { ArtifactReader } from "../bytes.ts";
import { type Codec, oneOf, STRING, vec } from "../codec.ts";
import type { BlobContext } from "./context.ts";
import { KIND } from "./entity.ts";
import { FUSED, sourceCheck, verifyBuilt } from "./fused_form.ts";

const FROM = oneOf({ import: 0, space: 1 }, "malformed fused step value");
const NAMES = vec(STRING, "export name");
const UINTS = vec<number>({ write: (w, n) => w.uint(n), read: (r) => r.uint() }, "index");

const STEP_VALUE: Codec<StepValue> = {
  write(w, v) {
    KIND.write(w, v.kind);
    FROM.write(w, v.from);
    w.string(v.name);
    w.uint(v.index);
    NAMES.write(w, v.names);
  },
  read: (r) => ({
    kind: KIND.read(r),
    from: FROM.read(r),
    name: r.string(),
    index: r.uint(),
    names: NAMES.read(r),
  }),
};

const STEP_VALUES = vec(STEP_VALUE, "fused step value");

const STEP: Codec<FusedStep, BlobContext> = {
  write(w, step) {
    UINTS.write(w, step.members);
    STEP_VALUES.write(w, step.values);
    FUSED.write(w, step.fused);
    UINTS.write(w, step.memberBuilt);
  },
  read: (r, c) => ({
    members: UINTS.read(r),
    values: STEP_VALUES.read(r),
    fused: FUSED.read(r, c),
    memberBuilt: UINTS.read(r),
  }),
};

/** A module's fused steps. */
export const STEPS = vec(STEP, "fused step");

/** The kind of index space each initializer pushes onto. */
function pushedKind(init: CompiledModule["initializers"][number]): EntityKind {
  switch (init.op) {
    case "import":
    case "alias":
      return init.kind;
    case "upvar":
    case "module":
      return Kind.Module;
    default:
      return Kind.Instance;
  }
}

/**
 * Checks module `self`'s fused steps against its program: each stands for
 * `instantiate` steps in order, with every `instantiate` between its first
 * and last among them, after the steps before it; each value it reads is an
 * import of the module of its kind, or an item its spaces hold when the step
 * runs; its fused form makes no program of its own, exports nothing but its
 * built instances, and each member takes a built instance.
 */
export function verifySteps(
  r: ArtifactReader,
  blob: { readonly types: TypeTables; readonly modules: readonly CompiledModule[] },
  self: number,
  steps: readonly FusedStep[],
): void {
  const module = blob.modules[self];
  const inits = module.initializers;
  const imports = new Map<string, EntityKind>();
  for (const imp of blob.types.modules[module.type].imports) imports.set(imp.name, imp.type.kind);
  let after = -1;
  const counts = [0, 0, 0, 0, 0, 0, 0];
  let counted = 0;
  // The module each entry of the module space holds, when its program defines it (else -1).
  const defined: number[] = [];
  for (const init of inits) {
    if (pushedKind(init) === Kind.Module) defined.push(init.op === "module" ? init.compiled : -1);
  }
  for (const step of steps) {
    const { members, fused } = step;
    if (members.length === 0 || step.memberBuilt.length !== members.length) {
      r.fail("malformed fused step: members");
    }
    for (const m of members) {
      if (m <= after || m >= inits.length || inits[m].op !== "instantiate") {
        r.fail("a fused step's members are not instantiate steps in order");
      }
      after = m;
    }
    const first = members[0];
    const taken = new Set(members);
    for (let i = first; i <= after; i++) {
      if (inits[i].op === "instantiate" && !taken.has(i)) {
        r.fail("a fused step leaves out an instantiate step among its members");
      }
    }
    // The size of each space of the module when the step runs (steps come in order).
    while (counted < first) counts[pushedKind(inits[counted++])]++;
    const stepCounts = [0, 0, 0, 0, 0, 0, 0];
    for (const v of step.values) {
      const base = v.names.length > 0 ? Kind.Instance : v.kind;
      if (v.from === "import") {
        if (imports.get(v.name) !== base) {
          r.fail(`fused step value: no import "${v.name}" of its kind`);
        }
      } else if (v.index >= counts[base]) {
        r.fail("fused step value out of range");
      }
      stepCounts[v.kind]++;
    }
    if (fused.initializers.length > 0 || fused.exports.length > 0) {
      r.fail("a fused step has a program or exports of its own");
    }
    const check = sourceCheck(r, (kind, index, what) => {
      if (index >= stepCounts[kind]) r.fail(`fused step: ${what} index ${index} out of range`);
    });
    verifyBuilt(r, blob.types, fused, check);
    step.memberBuilt.forEach((b, k) => {
      if (b >= fused.built.length) r.fail("a fused step's member takes no built instance");
      // A member takes an instance of the module it instantiates, when that is known here.
      const init = inits[members[k]];
      const module = init.op === "instantiate" ? defined[init.module] ?? -1 : -1;
      if (module >= 0 && fused.built[b].type !== blob.modules[module].instanceType) {
        r.fail("a fused step's member takes an instance of another type");
      }
    });
  }
}
