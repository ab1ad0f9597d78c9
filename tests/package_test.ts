/**
 * The package as JSR would see it: deno.json's exports exist, the public
 * API is documented (`deno doc --lint` is clean, and every function, class
 * and interface has an example), and `deno publish --dry-run` accepts it.
 */

import { assert, assertEquals } from "@std/assert";

const root = new URL("../", import.meta.url);
const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root))) as {
  name: string;
  license: string;
  exports: Record<string, string>;
  tasks: Record<string, { command: string; description: string }>;
};
const entries = Object.values(config.exports);

/** Runs `deno ARGS…` in the repository; stdout and stderr as text. */
async function deno(...args: string[]): Promise<{ success: boolean; output: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { success: out.success, output: text.decode(out.stdout) + text.decode(out.stderr) };
}

Deno.test("every export of deno.json is a file of the package, and the license is there", async () => {
  assertEquals(config.exports, {
    ".": "./mod.ts",
    "./loader": "./lib/loader.ts",
    "./wasi": "./lib/wasi.ts",
  });
  for (const path of entries) {
    assert((await Deno.stat(new URL(path, root))).isFile, `${path} is a file`);
  }
  assertEquals(config.license, "MIT");
  const license = await Deno.readTextFile(new URL("LICENSE", root));
  assert(license.startsWith("MIT License\n\nCopyright (c) 2026 the mlink authors\n"), license);
});

Deno.test("every task says what it does, and the test task checks the doc examples first", () => {
  for (const [name, task] of Object.entries(config.tasks)) {
    assert(typeof task.command === "string" && task.command !== "", `${name} has a command`);
    assert(typeof task.description === "string" && task.description !== "", `${name} is described`);
  }
  // CI reads Deno's last line, so `deno test` runs last, after a check that must pass.
  assert(/^deno check --doc .+ && deno test /.test(config.tasks.test.command));
});

Deno.test("deno doc --lint is clean on the entry points, together and each alone", async () => {
  for (const entry of entries) {
    const alone = await deno("doc", "--lint", entry);
    assert(alone.success, `${entry}:\n${alone.output}`);
  }
  const { success, output } = await deno("doc", "--lint", ...entries);
  assert(success, output);
  assert(!/error/i.test(output), output);
});

Deno.test("every public function, class and interface has an example", async () => {
  const { success, output } = await deno("doc", "--json", ...entries);
  assert(success, output);
  const doc = JSON.parse(output) as {
    nodes: Record<string, {
      symbols?: {
        name: string;
        declarations: { kind: string; jsDoc?: { tags?: { kind: string }[] } }[];
      }[];
    }>;
  };
  const missing = new Set<string>();
  let seen = 0;
  for (const node of Object.values(doc.nodes)) {
    for (const symbol of node.symbols ?? []) {
      for (const declaration of symbol.declarations) {
        if (!["function", "class", "interface"].includes(declaration.kind)) continue;
        seen++;
        const tags = declaration.jsDoc?.tags ?? [];
        if (!tags.some((t) => t.kind === "example")) {
          missing.add(symbol.name);
        }
      }
    }
  }
  assert(seen > 30, `the documentation was read (${seen} declarations)`);
  assertEquals([...missing].sort(), []);
});

Deno.test("deno publish --dry-run accepts the package", async () => {
  const { success, output } = await deno("publish", "--dry-run", "--allow-dirty");
  assert(success, output);
  assert(output.includes(`Simulating publish of ${config.name}@`), output);
  for (const path of ["LICENSE", ...entries]) {
    assert(output.includes(new URL(path, root).href), `${path} is published:\n${output}`);
  }
});
