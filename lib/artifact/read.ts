/**
 * Reads an artifact back into a module graph. Nothing is trusted: the
 * header, the checksum, and then every count, index and reference in the
 * metadata are checked before use, each blob's modules must form a tree, and
 * exports must match their types, so that even a crafted artifact with a
 * valid checksum cannot make instantiation read out of bounds or loop.
 * Core bytes stay views into the artifact (no copies); V8 validates them.
 *
 * @module
 */

import type {
  CompiledBlob,
  CompiledExport,
  CompiledImport,
  CompiledModule,
  Initializer,
  InstantiateArg,
  ModuleUpvar,
} from "../compiled.ts";
import { ArtifactError } from "../errors.ts";
import type { EntityKind, Limits } from "../ir.ts";
import {
  MAX_INSTANTIATE_ARGS,
  MAX_MODULES,
  MAX_NESTING_DEPTH,
  MAX_TYPE_DEPTH,
  MAX_TYPE_SIZE,
} from "../limits.ts";
import {
  type EntityType,
  type FuncType,
  type InstanceType,
  type ModuleType,
  type NamedType,
  referencesTooMuch,
  TypeTables,
} from "../types.ts";
import { ArtifactReader } from "./bytes.ts";
import { checksum } from "./checksum.ts";
import {
  ARTIFACT_MAGIC,
  ARTIFACT_VERSION,
  HEADER_SIZE,
  KNOWN_FLAGS,
  type ModuleGraph,
} from "./format.ts";

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];
const VALTYPES = new Set([0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f]);
const OPS: readonly Initializer["op"][] = [
  "import",
  "alias",
  "upvar",
  "module",
  "instantiate",
];

function hasPrefix(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return bytes.length >= prefix.length &&
    prefix.every((b, i) => bytes[i] === b);
}

/**
 * Checks an artifact's header and checksum and reads its module graph.
 * `source` (a file name, say) is put in front of error messages.
 */
export function readArtifact(bytes: Uint8Array, source?: string): ModuleGraph {
  if (!(bytes instanceof Uint8Array)) {
    throw new ArtifactError(
      `an artifact must be a Uint8Array, got ${bytes === null ? "null" : typeof bytes}`,
      { source },
    );
  }
  if (hasPrefix(bytes, WASM_MAGIC)) {
    throw new ArtifactError(
      "this is a WebAssembly binary, not an mlink artifact: compile it with compile(), or make an artifact with `cli.ts compile`",
      { source },
    );
  }
  if (!hasPrefix(bytes, ARTIFACT_MAGIC)) {
    throw new ArtifactError(
      bytes.length < ARTIFACT_MAGIC.length
        ? "truncated artifact: no header"
        : "not an mlink artifact (wrong magic bytes)",
      { source },
    );
  }
  if (bytes.length < HEADER_SIZE) {
    throw new ArtifactError("truncated artifact: header cut short", { source });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== ARTIFACT_VERSION) {
    throw new ArtifactError(
      `artifact format ${version}, this loader reads ${ARTIFACT_VERSION}: compile the module again with this version`,
      { source },
    );
  }
  const flags = view.getUint32(8, true);
  if ((flags & ~KNOWN_FLAGS) !== 0) {
    throw new ArtifactError(
      `artifact uses features this loader does not know (flags 0x${flags.toString(16)})`,
      { source },
    );
  }
  const length = view.getUint32(12, true);
  if (HEADER_SIZE + length !== bytes.length) {
    throw new ArtifactError(
      HEADER_SIZE + length > bytes.length
        ? `truncated artifact: ${bytes.length} bytes, the header says ${HEADER_SIZE + length}`
        : `${bytes.length - HEADER_SIZE - length} unexpected bytes after the artifact's end`,
      { source },
    );
  }
  const payload = bytes.subarray(HEADER_SIZE);
  if (checksum(payload) !== view.getUint32(16, true)) {
    throw new ArtifactError(
      "checksum mismatch: the artifact is corrupt",
      { source },
    );
  }
  const r = new ArtifactReader(bytes, HEADER_SIZE, bytes.length, source);
  const blobs: CompiledBlob[] = [];
  const blobCount = r.count("blob");
  for (let i = 0; i < blobCount; i++) blobs.push(readBlob(r));
  const nodes: ModuleGraph["nodes"][number][] = [];
  const nodeCount = r.count("module value");
  for (let n = 0; n < nodeCount; n++) {
    const blob = r.below(blobs.length, "blob index");
    const module = r.below(blobs[blob].modules.length, "module index");
    const upvarCount = r.count("upvar");
    if (upvarCount !== blobs[blob].modules[module].upvars.length) {
      r.fail("upvar count does not match the module");
    }
    const upvars: number[] = [];
    // Upvars are earlier module values: the graph has no cycles.
    for (let u = 0; u < upvarCount; u++) {
      upvars.push(r.below(n, "upvar module value"));
    }
    nodes.push({ blob, module, upvars });
  }
  const root = r.below(nodes.length, "root module value");
  if (!r.done) r.fail("unexpected data after the module graph");
  return { blobs, nodes, root };
}

function readBlob(r: ArtifactReader): CompiledBlob {
  const types = readTypes(r);
  const modules: CompiledModule[] = [];
  const count = r.count("module");
  // As in a binary: a module costs far more in memory than its few bytes.
  if (count > MAX_MODULES) r.fail(`more than ${MAX_MODULES} modules in one blob`);
  for (let i = 0; i < count; i++) modules.push(readModule(r, types, count));
  const root = r.below(modules.length, "root module");
  modules.forEach((m, i) => verifyModule(r, types, modules, i, m));
  verifyTree(r, modules, root);
  return { types, modules, root };
}

/**
 * Checks that a blob's modules form one tree, in pre-order as the compiler
 * writes them: every child comes after its parent and has that one parent,
 * the root has none, and no module nests deeper than the compiler allows.
 * Everything that walks the tree (paths for messages, `inspect`) may then
 * visit each module once, and recursion over it stays shallow. One pass, no
 * recursion, whatever the artifact says.
 */
function verifyTree(
  r: ArtifactReader,
  modules: readonly CompiledModule[],
  root: number,
): void {
  // depth[i]: the nesting depth of module i once its parent is known; -1 before.
  const depth = new Int32Array(modules.length).fill(-1);
  depth[root] = 0;
  for (let i = 0; i < modules.length; i++) {
    if (depth[i] < 0) r.fail(`module ${i} is neither the root nor nested in another module`);
    for (const child of modules[i].children) {
      if (child <= i) {
        r.fail(
          `module ${i} lists module ${child} as nested, but nested modules come after their parent`,
        );
      }
      if (child === root || depth[child] >= 0) {
        r.fail(`module ${child} is nested in more than one module`);
      }
      depth[child] = depth[i] + 1;
      if (depth[child] > MAX_NESTING_DEPTH) {
        r.fail(`modules nested more than ${MAX_NESTING_DEPTH} deep`);
      }
    }
  }
}

function readValTypes(r: ArtifactReader): number[] {
  const list = Array.from(r.bytes());
  for (const t of list) {
    if (!VALTYPES.has(t)) r.fail(`unknown value type 0x${t.toString(16)}`);
  }
  return list;
}

function readTypes(r: ArtifactReader): TypeTables {
  const funcs: FuncType[] = [];
  const funcCount = r.count("func type");
  for (let i = 0; i < funcCount; i++) {
    funcs.push({ params: readValTypes(r), results: readValTypes(r) });
  }
  const modules: ModuleType[] = [];
  const moduleCount = r.count("module type");
  for (let i = 0; i < moduleCount; i++) {
    modules.push({ imports: readNamed(r), exports: readNamed(r) });
  }
  const instances: InstanceType[] = [];
  const instanceCount = r.count("instance type");
  for (let i = 0; i < instanceCount; i++) {
    instances.push({ exports: readNamed(r) });
  }
  const limits = [funcCount, 0, 0, 0, 0, moduleCount, instanceCount];
  const check = (t: EntityType) => {
    if (
      (t.kind === 0 || t.kind === 5 || t.kind === 6) && t.type >= limits[t.kind]
    ) {
      r.fail(`type reference ${t.type} out of range`);
    }
  };
  for (const m of modules) {
    for (const n of [...m.imports, ...m.exports]) check(n.type);
  }
  for (const i of instances) for (const n of i.exports) check(n.type);
  const sizes = typeSizes(r, modules, instances);
  return TypeTables.restore(
    funcs,
    modules,
    instances,
    sizes.modules,
    sizes.instances,
  );
}

function readNamed(r: ArtifactReader): NamedType[] {
  const list: NamedType[] = [];
  const count = r.count("named type");
  for (let i = 0; i < count; i++) {
    list.push({ name: r.string(), type: readEntity(r) });
  }
  return list;
}

function readLimits(r: ArtifactReader): Limits {
  const hasMax = r.u8();
  if (hasMax > 1) r.fail("malformed limits");
  const min = r.uint();
  return hasMax ? { min, max: r.uint() } : { min };
}

/** Reads an entity type; references are checked later, once all counts are known. */
export function readEntity(r: ArtifactReader): EntityType {
  const kind = r.u8();
  switch (kind) {
    case 0:
    case 5:
    case 6:
      return { kind, type: r.uint() };
    case 1: {
      const elem = r.u8();
      if (elem !== 0x70 && elem !== 0x6f) {
        r.fail(`unknown reference type 0x${elem.toString(16)}`);
      }
      return { kind, type: { elem, limits: readLimits(r) } };
    }
    case 2: {
      const flags = r.u8();
      if (flags > 3) r.fail("malformed memory flags");
      return {
        kind,
        type: {
          shared: (flags & 1) !== 0,
          memory64: (flags & 2) !== 0,
          limits: readLimits(r),
        },
      };
    }
    case 3: {
      const type = r.u8();
      if (!VALTYPES.has(type)) {
        r.fail(`unknown value type 0x${type.toString(16)}`);
      }
      const mutable = r.u8();
      if (mutable > 1) r.fail("malformed mutability");
      return { kind, type: { type, mutable: mutable === 1 } };
    }
    default:
      return r.fail(`unknown entity kind ${kind}`);
  }
}

/**
 * Effective sizes of module and instance types, computed without recursion,
 * under the rules {@linkcode TypeTables} enforces on the types it interns: a
 * reference cycle, a type that references more than `MAX_TYPE_SIZE` or one
 * that nests more than `MAX_TYPE_DEPTH` deep is an error.
 */
function typeSizes(
  r: ArtifactReader,
  modules: readonly ModuleType[],
  instances: readonly InstanceType[],
): { modules: number[]; instances: number[] } {
  const sizes = [
    new Array<number>(modules.length).fill(-1),
    new Array<number>(instances.length).fill(-1),
  ];
  // How deep each type nests: 1 for one that references no module or instance type.
  const depths = [new Int32Array(modules.length), new Int32Array(instances.length)];
  const members = (space: number, i: number) =>
    space === 0 ? [...modules[i].imports, ...modules[i].exports] : instances[i].exports;
  const onStack = [
    new Uint8Array(modules.length),
    new Uint8Array(instances.length),
  ];
  const tooDeep = () =>
    r.fail(`type is too deep: module and instance types nest more than ${MAX_TYPE_DEPTH} deep`);
  for (let space = 0; space < 2; space++) {
    for (let start = 0; start < sizes[space].length; start++) {
      if (sizes[space][start] >= 0) continue;
      const stack: {
        space: number;
        index: number;
        next: number;
        list: readonly NamedType[];
      }[] = [
        { space, index: start, next: 0, list: members(space, start) },
      ];
      onStack[space][start] = 1;
      while (stack.length > 0) {
        const top = stack[stack.length - 1];
        if (top.next < top.list.length) {
          const t = top.list[top.next++].type;
          if (t.kind !== 5 && t.kind !== 6) continue;
          const s = t.kind === 5 ? 0 : 1;
          if (sizes[s][t.type] >= 0) continue;
          if (onStack[s][t.type]) r.fail("type references form a cycle");
          // Each type on the stack nests the one above it.
          if (stack.length >= MAX_TYPE_DEPTH) tooDeep();
          onStack[s][t.type] = 1;
          stack.push({
            space: s,
            index: t.type,
            next: 0,
            list: members(s, t.type),
          });
          continue;
        }
        let size = 1;
        let deepest = 0;
        for (const item of top.list) {
          const t = item.type;
          if (t.kind !== 5 && t.kind !== 6) {
            size += 1;
            continue;
          }
          const s = t.kind === 5 ? 0 : 1;
          size += sizes[s][t.type];
          if (depths[s][t.type] > deepest) deepest = depths[s][t.type];
        }
        if (referencesTooMuch(size, top.list.length)) {
          r.fail(
            `type is too large: what its members reference exceeds ${MAX_TYPE_SIZE}, counted as if expanded`,
          );
        }
        if (deepest >= MAX_TYPE_DEPTH) tooDeep();
        sizes[top.space][top.index] = size;
        depths[top.space][top.index] = deepest + 1;
        onStack[top.space][top.index] = 0;
        stack.pop();
      }
    }
  }
  return { modules: sizes[0], instances: sizes[1] };
}

function readKind(r: ArtifactReader): EntityKind {
  const kind = r.u8();
  if (kind > 6 || kind === 4) r.fail(`unknown entity kind ${kind}`);
  return kind as EntityKind;
}

function readModule(
  r: ArtifactReader,
  types: TypeTables,
  moduleCount: number,
): CompiledModule {
  const name = r.string();
  const hasCore = r.u8();
  if (hasCore > 1) r.fail("malformed core module flag");
  const core = hasCore ? r.bytes() : null;
  const initializers: Initializer[] = [];
  const initCount = r.count("initializer");
  for (let i = 0; i < initCount; i++) {
    const op = OPS[r.u8()] ?? r.fail("unknown initializer");
    switch (op) {
      case "import":
        initializers.push({ op, name: r.string(), kind: readKind(r) });
        break;
      case "alias":
        initializers.push({
          op,
          instance: r.uint(),
          name: r.string(),
          kind: readKind(r),
        });
        break;
      case "upvar":
        initializers.push({ op, index: r.uint() });
        break;
      case "module":
        initializers.push({
          op,
          compiled: r.below(moduleCount, "nested module"),
        });
        break;
      case "instantiate": {
        const module = r.uint();
        const args: InstantiateArg[] = [];
        const argCount = r.count("argument");
        if (argCount > MAX_INSTANTIATE_ARGS) {
          r.fail(`instantiate: ${argCount} arguments exceed the limit of ${MAX_INSTANTIATE_ARGS}`);
        }
        for (let a = 0; a < argCount; a++) {
          args.push({ name: r.string(), kind: readKind(r), index: r.uint() });
        }
        initializers.push({ op, module, args });
        break;
      }
    }
  }
  const exports: CompiledExport[] = [];
  const exportCount = r.count("export");
  for (let i = 0; i < exportCount; i++) {
    const name = r.string();
    const kind = readKind(r);
    const index = r.uint();
    const local = r.u8();
    if (local > 1 || (local === 1 && kind > 3)) r.fail("malformed export");
    exports.push({ name, kind, index, local: local === 1 });
  }
  const imports: CompiledImport[] = [];
  const importCount = r.count("import");
  for (let i = 0; i < importCount; i++) {
    const module = r.string();
    const two = r.u8();
    if (two > 1) r.fail("malformed import");
    const field = two ? r.string() : null;
    const type = readEntity(r);
    imports.push({ module, field, type });
  }
  const type = r.below(types.modules.length, "module type");
  const instanceType = r.below(types.instances.length, "instance type");
  const upvars: ModuleUpvar[] = [];
  const upvarCount = r.count("upvar");
  for (let i = 0; i < upvarCount; i++) {
    const from = r.u8();
    if (from > 1) r.fail("malformed upvar");
    upvars.push({ from: from === 0 ? "space" : "upvar", index: r.uint() });
  }
  const children: number[] = [];
  const childCount = r.count("child");
  for (let i = 0; i < childCount; i++) {
    children.push(r.below(moduleCount, "child module"));
  }
  return {
    name,
    core,
    initializers,
    exports,
    imports,
    type,
    instanceType,
    upvars,
    children,
  };
}

/**
 * Replays a module's initializers over counts of its index spaces, so that
 * every index the runtime will use is known to be in range, every import
 * matches the module type, and nested modules only create later modules.
 */
function verifyModule(
  r: ArtifactReader,
  types: TypeTables,
  modules: readonly CompiledModule[],
  self: number,
  m: CompiledModule,
): void {
  const counts = [0, 0, 0, 0, 0, 0, 0];
  const children = new Set(m.children);
  const importKinds = new Map<string, number>();
  for (const imp of types.modules[m.type].imports) {
    importKinds.set(imp.name, imp.type.kind);
  }
  const inRange = (kind: number, index: number, what: string) => {
    if (index >= counts[kind]) {
      r.fail(`${m.name || "module"}: ${what} index ${index} out of range`);
    }
  };
  for (const init of m.initializers) {
    switch (init.op) {
      case "import":
        if (importKinds.get(init.name) !== init.kind) {
          r.fail(
            `import ${JSON.stringify(init.name)} does not match the module type`,
          );
        }
        counts[init.kind]++;
        break;
      case "alias":
        inRange(6, init.instance, "instance");
        counts[init.kind]++;
        break;
      case "upvar":
        if (init.index >= m.upvars.length) r.fail("upvar index out of range");
        counts[5]++;
        break;
      case "module": {
        if (init.compiled <= self || !children.has(init.compiled)) {
          r.fail("nested module is not a child");
        }
        for (const u of modules[init.compiled].upvars) {
          if (u.from === "space") inRange(5, u.index, "captured module");
          else if (u.index >= m.upvars.length) {
            r.fail("captured upvar out of range");
          }
        }
        counts[5]++;
        break;
      }
      case "instantiate":
        inRange(5, init.module, "module");
        for (const a of init.args) {
          inRange(a.kind, a.index, `argument ${JSON.stringify(a.name)}`);
        }
        counts[6]++;
        break;
    }
  }
  for (const e of m.exports) {
    if (!e.local) inRange(e.kind, e.index, `export ${JSON.stringify(e.name)}`);
    else if (m.core === null) {
      r.fail(`export ${JSON.stringify(e.name)} needs a core module`);
    }
  }
  verifyExportTypes(r, types, m);
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

/** Whether two entity types of the same tables are the same type. */
function sameEntity(a: EntityType, b: EntityType): boolean {
  switch (a.kind) {
    case 0:
    case 5:
    case 6:
      return a.kind === b.kind && a.type === b.type;
    case 1:
      return b.kind === 1 && a.type.elem === b.type.elem &&
        sameLimits(a.type.limits, b.type.limits);
    case 2:
      return b.kind === 2 && a.type.shared === b.type.shared &&
        a.type.memory64 === b.type.memory64 && sameLimits(a.type.limits, b.type.limits);
    case 3:
      return b.kind === 3 && a.type.type === b.type.type && a.type.mutable === b.type.mutable;
  }
}

function sameLimits(a: Limits, b: Limits): boolean {
  return a.min === b.min && a.max === b.max;
}
