/**
 * `cli.ts compile --esm` and `cli.ts types`, as a user runs them: the ES
 * module runs with no permissions, its `.d.ts` types a real consumer, and a
 * consumer that misuses the exports fails `deno check`.
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { moduleReferences } from "./helpers/deploy.ts";

const cli = new URL("../cli.ts", import.meta.url).pathname;
const text = new TextDecoder();

async function deno(args: string[], cwd?: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

const PROGRAM = `(module
  (import "env" "log" (func $log (param i64)))
  (module $child (func (export "twice") (param i32) (result i32)
    (i32.mul (local.get 0) (i32.const 2))))
  (instance $c (instantiate $child))
  (func (export "run") (param i32) (result i32)
    (call $log (i64.const 7))
    (call (func $c "twice") (local.get 0))))`;

const CONSUMER = `import { instantiate } from "./app.js";
const { exports } = await instantiate({ env: { log: (x: bigint) => console.log("log", x) } });
console.log("run", exports.run(21));
`;

Deno.test("compile --esm: runs with no permissions, typed by its .d.ts; misuse fails deno check", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/app.wat`, PROGRAM);
    const built = await deno([
      "run",
      "-A",
      cli,
      "compile",
      `${dir}/app.wat`,
      "--esm",
      "-o",
      `${dir}/app.js`,
    ]);
    assertEquals(built.code, 0, built.stderr);
    assertStringIncludes(built.stdout, `and ${dir}/app.d.ts`);
    const js = await Deno.readTextFile(`${dir}/app.js`);
    assert(js.startsWith('// @ts-self-types="./app.d.ts"\n'), js.slice(0, 80));
    assertEquals(moduleReferences(js), [], "imports nothing");

    await Deno.writeTextFile(`${dir}/good.ts`, CONSUMER);
    const checked = await deno(["check", "--no-config", "--no-lock", "good.ts"], dir);
    assertEquals(checked.code, 0, checked.stderr);
    const ran = await deno(["run", "--no-config", "--no-lock", "--no-prompt", "good.ts"], dir);
    assertEquals([ran.code, ran.stdout, ran.stderr], [0, "log 7n\nrun 42\n", ""]);

    for (
      const [body, code] of [
        [CONSUMER.replace("exports.run(21)", 'exports.run("21")'), "TS2345"],
        [CONSUMER.replace("(x: bigint)", "(x: string)"), "TS2322"],
        [
          CONSUMER.replace('{ env: { log: (x: bigint) => console.log("log", x) } }', "{}"),
          "TS2345",
        ],
        [
          CONSUMER.replace(
            'console.log("run", exports.run(21));',
            "const s: string = exports.run(1);",
          ),
          "TS2322",
        ],
      ] as const
    ) {
      await Deno.writeTextFile(`${dir}/bad.ts`, body);
      const bad = await deno(["check", "--no-config", "--no-lock", "bad.ts"], dir);
      assertEquals(bad.code, 1, body);
      assertStringIncludes(bad.stderr, code);
    }

    // An artifact as input gives the same module.
    const artifact = await deno([
      "run",
      "-A",
      cli,
      "compile",
      `${dir}/app.wat`,
      "-o",
      `${dir}/app.mlk`,
    ]);
    assertEquals(artifact.code, 0, artifact.stderr);
    const again = await deno([
      "run",
      "-A",
      cli,
      "compile",
      `${dir}/app.mlk`,
      "--esm",
      "-o",
      `${dir}/again.js`,
    ]);
    assertEquals(again.code, 0, again.stderr);
    assertEquals(
      await Deno.readTextFile(`${dir}/again.d.ts`),
      (await Deno.readTextFile(`${dir}/app.d.ts`)).replace('from "app.wat"', 'from "app.mlk"'),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli.ts types prints the declarations of any module", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/app.wat`, PROGRAM);
    const r = await deno(["run", "-A", cli, "types", `${dir}/app.wat`]);
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(r.stdout, "export interface Exports");
    assertStringIncludes(r.stdout, "readonly run: (a0: number) => number;");
    assertStringIncludes(r.stdout, "readonly log: (a0: bigint) => void;");
    const extra = await deno(["run", "-A", cli, "types", `${dir}/app.wat`, "more"]);
    assertEquals(extra.code, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
