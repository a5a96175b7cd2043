// Reads redis.conf-style text and command-line options into the Config, failing like Redis does:
// "*** FATAL CONFIG FILE ERROR ***" with the line, the directive and the reason.

import { type Config, ConfigError } from "./config.ts";
import { splitArgs } from "./resp/split_args.ts";
import { REDIS_VERSION } from "./commands/table.ts";
import { DEPRECATED_DIRECTIVES } from "./config_params.ts";

export class FatalConfigError extends Error {}

/** One directive: its name, arguments, and where it came from (for the error message). */
export interface Directive {
  name: string;
  args: string[];
  line: number;
  text: string;
}

/** Splits config text into directives (quoted strings and `#` comments as redis.conf). */
export function parseConfigText(text: string, firstLine = 1): Directive[] {
  const out: Directive[] = [];
  const lines = text.split("\n");
  const enc = new TextEncoder();
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, "").trim();
    if (line === "" || line.startsWith("#")) return;
    const parts = splitArgs(enc.encode(line));
    if (parts === undefined) {
      throw fatal(firstLine + i, line, "Unbalanced quotes in configuration line");
    }
    // Binary strings (one char per byte), as CONFIG SET and AUTH see values.
    const words = parts.map((p) => String.fromCharCode(...p));
    out.push({
      name: words[0].toLowerCase(),
      args: words.slice(1),
      line: firstLine + i,
      text: line,
    });
  });
  return out;
}

function fatal(line: number, text: string, reason: string): FatalConfigError {
  return new FatalConfigError(
    `\n*** FATAL CONFIG FILE ERROR (Redis ${REDIS_VERSION}) ***\n` +
      `Reading the configuration file, at line ${line}\n>>> '${text}'\n${reason}`,
  );
}

/** Applies directives in order; the last one for a name wins (command line after file). */
export function applyDirectives(config: Config, directives: Directive[]): void {
  for (const d of directives) {
    try {
      if (config.load(d.name, d.args)) continue;
    } catch (e) {
      if (e instanceof ConfigError) throw fatal(d.line, d.text, e.message);
      throw e;
    }
    // Directives Redis 7.0 still accepts and ignores.
    if (DEPRECATED_DIRECTIVES[d.name] === d.args.length) continue;
    throw fatal(d.line, d.text, "Bad directive or wrong number of arguments");
  }
}

/** Turns `--name v1 v2` option groups into directives, numbered after the file's lines as Redis. */
export function optionsToDirectives(
  groups: { name: string; values: string[] }[],
  firstLine: number,
): Directive[] {
  return groups.map((g, i) => ({
    name: g.name.toLowerCase(),
    args: g.values,
    line: firstLine + i,
    text: `${g.name} ${g.values.map((v) => `"${v}"`).join(" ")}`.trimEnd(),
  }));
}
