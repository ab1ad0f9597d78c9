/**
 * Describes a compiled module for people (`cli.ts inspect`) and for tools
 * (`--json`): the tree of nested modules with their imports, exports,
 * initializers and core sizes, and whether the module was fused.
 *
 * @module
 */

import type { CompiledBlob, FusedStep, Initializer, InstantiateArg } from "../compiled.ts";
import { formatEntityType, kindName } from "../format.ts";
import { unreachable } from "../ir.ts";
import { fusedFormOf, type Module, moduleParts } from "../runtime/module.ts";

/**
 * Whether the module was compiled into one core module: its size and the
 * fused instances in creation order (the last is the module itself), or why not.
 */
export type InspectedFusion =
  | { fused: true; coreBytes: number; instances: string[] }
  | { fused: false; reason: string; steps?: { coreBytes: number; instances: string[] }[] };

/** One module of the tree. */
export interface InspectedModule {
  name: string;
  coreBytes: number;
  /**
   * The module's fusion: always for the top-level module, and for a nested
   * module that runs fused on its own (see `Module.fusion()`'s `nested`).
   */
  fusion?: InspectedFusion;
  imports: { name: string; type: string }[];
  exports: { name: string; type: string }[];
  initializers: string[];
  upvars: number;
  children: InspectedModule[];
}

/** Named items of the module in words: `"f"=func 0, "m"=memory 1`. */
function namedItems(items: readonly InstantiateArg[]): string {
  return items.map((a) => `${JSON.stringify(a.name)}=${kindName(a.kind)} ${a.index}`).join(", ");
}

/** One initializer in words, for the text tree. */
function describeInitializer(init: Initializer): string {
  switch (init.op) {
    case "import":
      return `import ${JSON.stringify(init.name)} (${kindName(init.kind)})`;
    case "alias":
      return `alias instance ${init.instance} export ${JSON.stringify(init.name)} (${
        kindName(init.kind)
      })`;
    case "upvar":
      return `module from enclosing scope (upvar ${init.index})`;
    case "module":
      return `define nested module #${init.compiled}`;
    case "instantiate":
      return `instantiate module ${init.module}${
        init.args.length ? ` with ${namedItems(init.args)}` : ""
      }`;
    case "instance":
      return init.exports.length
        ? `instance of exports ${namedItems(init.exports)}`
        : "instance with no exports";
    default:
      return unreachable(init, "initializer");
  }
}

/**
 * The tree of module `index` of `blob`, with `fusion` for the top-level
 * module and with their fused forms for nested modules that have one.
 */
function inspectNode(
  blob: CompiledBlob,
  index: number,
  fusion?: InspectedFusion,
): InspectedModule {
  const m = blob.modules[index];
  const form = fusedFormOf(m);
  const own = m.fusion;
  fusion ??= form !== undefined
    ? { fused: true, coreBytes: form.core.length, instances: [...form.instances] }
    : own !== null && "reason" in own && own.steps !== undefined
    ? notFused(own.reason, own.steps)
    : undefined;
  const type = blob.types.modules[m.type];
  return {
    name: m.name || "(top level)",
    coreBytes: m.core?.length ?? 0,
    ...(fusion === undefined ? {} : { fusion }),
    imports: type.imports.map((i) => ({
      name: i.name,
      type: formatEntityType(blob.types, i.type),
    })),
    exports: type.exports.map((e) => ({
      name: e.name,
      type: formatEntityType(blob.types, e.type),
    })),
    initializers: m.initializers.map(describeInitializer),
    upvars: m.upvars.length,
    children: m.children.map((c) => inspectNode(blob, c)),
  };
}

/** The tree of a module and the modules nested in it. */
export function inspectModule(module: Module): InspectedModule {
  const { blob, index } = moduleParts(module);
  return inspectNode(blob.compiled, index, inspectFusion(module));
}

/** What {@linkcode Module.fusion} tells, with the fused core's size. */
function inspectFusion(module: Module): InspectedFusion {
  const report = module.fusion();
  if (!report.fused) {
    const { blob, index } = moduleParts(module);
    return notFused(report.reason, blob.steps[index]);
  }
  const { blob, index } = moduleParts(module);
  const form = fusedFormOf(blob.compiled.modules[index]);
  return { fused: true, coreBytes: form?.core.length ?? 0, instances: report.instances };
}

/** Why a module is not fused as a whole, with its fused steps if it has some. */
function notFused(reason: string, steps: readonly FusedStep[] | undefined): InspectedFusion {
  if (steps === undefined) return { fused: false, reason };
  return {
    fused: false,
    reason,
    steps: steps.map((step) => ({
      coreBytes: step.fused.core.length,
      instances: [...step.fused.instances],
    })),
  };
}

/** The fusion lines of the text tree. */
function formatFusion(fusion: InspectedFusion, indent: string): string[] {
  if (!fusion.fused) {
    return [
      `${indent}  not fused: ${fusion.reason}`,
      ...(fusion.steps ?? []).flatMap((step) => [
        `${indent}  fused step: ${step.instances.length} instances into one core module (${step.coreBytes} bytes)`,
        ...step.instances.map((path) => `${indent}    ${path}`),
      ]),
    ];
  }
  const count = fusion.instances.length;
  return [
    `${indent}  fused: ${count} instance${
      count === 1 ? "" : "s"
    } into one core module (${fusion.coreBytes} bytes)`,
    ...fusion.instances.map((path) => `${indent}    ${path}`),
  ];
}

/** The tree as indented text. */
export function formatInspection(node: InspectedModule, indent = ""): string {
  const lines = [
    `${indent}${node.name}: core module ${node.coreBytes} bytes, ${node.initializers.length} initializers${
      node.upvars ? `, closes over ${node.upvars} module(s)` : ""
    }`,
  ];
  if (node.fusion !== undefined) lines.push(...formatFusion(node.fusion, indent));
  for (const i of node.imports) {
    lines.push(`${indent}  import ${JSON.stringify(i.name)} ${i.type}`);
  }
  for (const e of node.exports) {
    lines.push(`${indent}  export ${JSON.stringify(e.name)} ${e.type}`);
  }
  for (const step of node.initializers) lines.push(`${indent}  · ${step}`);
  for (const child of node.children) {
    lines.push(formatInspection(child, indent + "    "));
  }
  return lines.join("\n");
}
