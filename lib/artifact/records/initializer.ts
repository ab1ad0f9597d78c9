/**
 * The initializer record: one step of a module's instantiation program. It
 * is a tag byte, then the fields of its op. {@linkcode INITIALIZER_OPS} is
 * the one table of ops: for each, its tag byte, its fields (how it is
 * written and read) and how it is verified, by replaying it over the sizes
 * of its module's index spaces.
 *
 * @module
 */

import type { Initializer, InstantiateArg } from "../../compiled.ts";
import { Kind, unreachable } from "../../ir.ts";
import { MAX_INSTANTIATE_ARGS } from "../../limits.ts";
import { type Codec, type ListCodec, vec } from "../codec.ts";
import type { BlobContext, Replay } from "./context.ts";
import { KIND } from "./entity.ts";

/** An initializer op's name. */
export type Op = Initializer["op"];

/** The initializer of op `O`. */
export type InitializerOf<O extends Op> = Extract<Initializer, { readonly op: O }>;

/**
 * How the initializers `I` of one op are stored and verified. Its codec
 * writes and reads what follows the tag byte.
 */
export interface OpRecord<I extends Initializer> extends Codec<I, BlobContext> {
  /** The byte in front of its fields. */
  readonly tag: number;
  /** Replays it: checks what it uses against the index spaces so far, and pushes what it makes. */
  verify(init: I, replay: Replay): void;
}

/** A named item of the module: an argument of `instantiate`, an export of `instance`. */
const NAMED_ITEM: Codec<InstantiateArg> = {
  write(w, a) {
    w.string(a.name);
    KIND.write(w, a.kind);
    w.uint(a.index);
  },
  read: (r) => ({ name: r.string(), kind: KIND.read(r), index: r.uint() }),
};

/** A list of named items, at most {@linkcode MAX_INSTANTIATE_ARGS} of them. */
function namedItems(op: Op, what: string): ListCodec<InstantiateArg> {
  return vec(NAMED_ITEM, what, (r, count) => {
    if (count > MAX_INSTANTIATE_ARGS) {
      r.fail(`${op}: ${count} ${what}s exceed the limit of ${MAX_INSTANTIATE_ARGS}`);
    }
  });
}

const ARGUMENTS = namedItems("instantiate", "argument");
const INSTANCE_EXPORTS = namedItems("instance", "export");

/** Every initializer op, and its record. */
export const INITIALIZER_OPS: { readonly [O in Op]: OpRecord<InitializerOf<O>> } = {
  import: {
    tag: 0,
    write(w, init) {
      w.string(init.name);
      KIND.write(w, init.kind);
    },
    read: (r) => ({ op: "import", name: r.string(), kind: KIND.read(r) }),
    verify(init, s) {
      if (s.importKind(init.name) !== init.kind) {
        s.fail(`import ${JSON.stringify(init.name)} does not match the module type`);
      }
      s.push(init.kind);
    },
  },
  alias: {
    tag: 1,
    write(w, init) {
      w.uint(init.instance);
      w.string(init.name);
      KIND.write(w, init.kind);
    },
    read: (r) => ({ op: "alias", instance: r.uint(), name: r.string(), kind: KIND.read(r) }),
    verify(init, s) {
      s.inRange(Kind.Instance, init.instance, "instance");
      s.push(init.kind);
    },
  },
  upvar: {
    tag: 2,
    write: (w, init) => w.uint(init.index),
    read: (r) => ({ op: "upvar", index: r.uint() }),
    verify(init, s) {
      if (init.index >= s.module.upvars.length) s.fail("upvar index out of range");
      s.push(Kind.Module);
    },
  },
  module: {
    tag: 3,
    write: (w, init) => w.uint(init.compiled),
    read: (r, c) => ({ op: "module", compiled: r.below(c.moduleCount, "nested module") }),
    verify(init, s) {
      if (init.compiled <= s.self || !s.isChild(init.compiled)) {
        s.fail("nested module is not a child");
      }
      // What the new module value captures must exist when it is made.
      for (const u of s.modules[init.compiled].upvars) {
        switch (u.from) {
          case "space":
            s.inRange(Kind.Module, u.index, "captured module");
            break;
          case "upvar":
            if (u.index >= s.module.upvars.length) s.fail("captured upvar out of range");
            break;
          default:
            unreachable(u.from, "upvar source");
        }
      }
      s.push(Kind.Module);
    },
  },
  instantiate: {
    tag: 4,
    write(w, init) {
      w.uint(init.module);
      ARGUMENTS.write(w, init.args);
    },
    read: (r) => ({ op: "instantiate", module: r.uint(), args: ARGUMENTS.read(r) }),
    verify(init, s) {
      s.inRange(Kind.Module, init.module, "module");
      for (const a of init.args) s.inRange(a.kind, a.index, `argument ${JSON.stringify(a.name)}`);
      s.push(Kind.Instance);
    },
  },
  instance: {
    tag: 5,
    write(w, init) {
      INSTANCE_EXPORTS.write(w, init.exports);
      w.uint(init.type);
    },
    read: (r) => ({ op: "instance", exports: INSTANCE_EXPORTS.read(r), type: r.uint() }),
    verify(init, s) {
      for (const e of init.exports) s.inRange(e.kind, e.index, `export ${JSON.stringify(e.name)}`);
      // Its type is what imports of it are matched by: it must list these exports.
      const promised = s.types.instances[init.type]?.exports;
      const matches = promised !== undefined && promised.length === init.exports.length &&
        promised.every((p, i) =>
          p.name === init.exports[i].name && p.type.kind === init.exports[i].kind
        );
      if (!matches) s.fail("an instance of exports does not match its instance type");
      s.push(Kind.Instance);
    },
  },
};

/** The records by tag byte; a hole for a byte that is no op's tag. */
const BY_TAG: (OpRecord<Initializer> | undefined)[] = [];
for (const record of Object.values(INITIALIZER_OPS)) BY_TAG[record.tag] = record;

function recordOf(op: Op): OpRecord<Initializer> {
  return INITIALIZER_OPS[op];
}

/** An initializer: its op's tag byte, then the op's fields. */
export const INITIALIZER: Codec<Initializer, BlobContext> = {
  write(w, init) {
    const record = recordOf(init.op);
    w.u8(record.tag);
    record.write(w, init);
  },
  read(r, context) {
    const record = BY_TAG[r.u8()] ?? r.fail("unknown initializer");
    return record.read(r, context);
  },
};

/** Replays one initializer of the module `replay` is replaying. */
export function verifyInitializer(init: Initializer, replay: Replay): void {
  recordOf(init.op).verify(init, replay);
}
