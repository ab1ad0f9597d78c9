/**
 * The fusion record of a module: its fused form (the fused core module, the
 * program that feeds it host values, its exports and the instances built
 * from the core's exports), or the reason it was not fused, with its fused
 * steps if it has some.
 *
 * @module
 */

import type { CompiledModule, FusedModule, Fusion } from "../../compiled.ts";
import type { TypeTables } from "../../types.ts";
import type { ArtifactReader } from "../bytes.ts";
import { type Codec, oneOf } from "../codec.ts";
import { type BlobContext, Replay } from "./context.ts";
import { FUSED, sourceCheck, verifyBuilt } from "./fused_form.ts";
import { verifyInitializer } from "./initializer.ts";
import { STEPS, verifySteps } from "./steps.ts";

const FORM = oneOf({ none: 0, fused: 1, reason: 2, steps: 3 }, "malformed fusion record");

/** A module's fusion: none tried, its fused form, or why it has none. */
export const FUSION: Codec<Fusion | null, BlobContext> = {
  write(w, fusion) {
    if (fusion === null) {
      FORM.write(w, "none");
    } else if ("reason" in fusion) {
      FORM.write(w, fusion.steps === undefined ? "reason" : "steps");
      w.string(fusion.reason);
      if (fusion.steps !== undefined) STEPS.write(w, fusion.steps);
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
      case "steps": {
        const reason = r.string();
        return { reason, steps: STEPS.read(r, c) };
      }
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
  if (fused !== null && "reason" in fused && fused.steps !== undefined) {
    verifySteps(r, blob, self, fused.steps);
  }
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
  const builtCount = fused.built.length;
  const checkSource = sourceCheck(r, (kind, index, what) => replay.inRange(kind, index, what));
  verifyBuilt(r, blob.types, fused, checkSource);
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
