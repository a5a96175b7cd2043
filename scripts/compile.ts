// `deno task compile`: standalone reredis binaries for the five release targets in dist/.
// deno compile downloads the runtime (denort) per target, so this needs network access to
// Deno's release downloads (the tag-triggered release workflow has it).
//
//   deno task compile [--target x86_64-unknown-linux-gnu]

import { parseArgs } from "node:util";

export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
];

/** Files read at run time rather than imported, embedded when present (the built web UI). */
const INCLUDES = ["web/dist"];

const { values } = parseArgs({
  args: Deno.args,
  options: { target: { type: "string", multiple: true } },
});
const targets = values.target ?? TARGETS;
const root = new URL("..", import.meta.url).pathname;
const includes = INCLUDES.filter((p) => exists(root + p)).flatMap((p) => ["--include", p]);

await Deno.mkdir(root + "dist", { recursive: true });
const failed: string[] = [];
for (const target of targets) {
  if (!TARGETS.includes(target)) {
    console.error(`unknown target ${target}; known: ${TARGETS.join(", ")}`);
    Deno.exit(2);
  }
  const output = `dist/reredis-${target}`;
  const args = ["compile", "-A", ...includes, "--target", target, "--output", output, "main.ts"];
  console.log(`deno ${args.join(" ")}`);
  const { success } = await new Deno.Command(Deno.execPath(), { args, cwd: root }).spawn().status;
  if (!success) failed.push(target);
}
if (failed.length) {
  console.error(`compile failed for: ${failed.join(", ")}`);
  Deno.exit(1);
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
