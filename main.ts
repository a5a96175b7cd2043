// Reredis command line: `deno run -A main.ts [reredis.conf] [--option value …]`, like redis-server.

import { parseArgs } from "node:util";
import { Config } from "./src/config.ts";
import {
  applyDirectives,
  FatalConfigError,
  optionsToDirectives,
  parseConfigText,
} from "./src/config_file.ts";
import { REREDIS_VERSION, startNode } from "./src/node.ts";
import { REDIS_VERSION } from "./src/commands/table.ts";
import { checkWal } from "./src/wal/check.ts";

const USAGE = `Usage: reredis [/path/to/reredis.conf] [options]
       reredis check-wal <appendonlydir> [--fix]
       reredis -v or --version
       reredis -h or --help

Options are redis.conf directives (--port 7000 --bind 127.0.0.1 --dir ./data
--databases 16 --loglevel notice --requirepass secret …) plus --http-port.

Examples:
       reredis
       reredis --port 7777 --http-port 8081
       reredis /etc/reredis.conf --loglevel verbose`;

/** Groups `--name v1 v2` tokens from parseArgs into option groups; the first positional is the file. */
function readArgs(argv: string[]): { file?: string; groups: { name: string; values: string[] }[] } {
  const { tokens } = parseArgs({ args: argv, strict: false, allowPositionals: true, tokens: true });
  const groups: { name: string; values: string[] }[] = [];
  let file: string | undefined;
  for (const t of tokens ?? []) {
    if (t.kind === "option") {
      groups.push({ name: t.name, values: t.value !== undefined ? [t.value] : [] });
    } else if (t.kind === "positional") {
      if (groups.length) groups[groups.length - 1].values.push(t.value);
      else if (file === undefined) file = t.value;
      else groups.push({ name: t.value, values: [] });
    }
  }
  return { file, groups };
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === "check-wal") {
    const dir = argv.find((a, i) => i > 0 && !a.startsWith("--"));
    if (!dir) {
      console.error("Usage: reredis check-wal <appendonlydir> [--fix]");
      return 1;
    }
    return await checkWal(dir, argv.includes("--fix"));
  }
  if (argv.includes("-v") || argv.includes("--version")) {
    console.log(
      `Reredis server v=${REREDIS_VERSION} redis_version=${REDIS_VERSION} deno=${Deno.version.deno}`,
    );
    return 0;
  }
  if (argv.includes("-h") || argv.includes("--help")) {
    console.log(USAGE);
    return 0;
  }
  const config = new Config();
  try {
    const { file, groups } = readArgs(argv);
    let fileLines = 0;
    if (file !== undefined) {
      let text: string;
      try {
        text = await Deno.readTextFile(file);
      } catch (e) {
        console.error(`Fatal error, can't open config file '${file}': ${(e as Error).message}`);
        return 1;
      }
      config.file = file;
      fileLines = text.split("\n").length;
      applyDirectives(config, parseConfigText(text));
    }
    applyDirectives(config, optionsToDirectives(groups, fileLines + 2));
  } catch (e) {
    if (e instanceof FatalConfigError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
  const server = await startNode(config);
  const stop = async () => {
    server.log.warning("Received SIGINT/SIGTERM scheduling shutdown...");
    await server.shutdown();
    server.log.warning("Reredis is now ready to exit, bye bye...");
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", stop);
  return -1;
}

if (import.meta.main) {
  const code = await main(Deno.args);
  if (code >= 0) Deno.exit(code);
}
