// Reads differential corpus files (format: tests/corpus/README.md) into steps, and formats raw
// replies for mismatch reports. Quoting is Redis's own (splitArgs = sdssplitargs).

import { splitArgs } from "../../src/resp/split_args.ts";

/** One line of a corpus file, ready to run on both servers. */
export type CorpusStep =
  | {
    kind: "command";
    line: number;
    /** The line as written (for reports). */
    text: string;
    args: Uint8Array[];
    /** `@noreply`: run on both, read the reply, do not compare it. */
    noreply: boolean;
    /** `@match <regex>`: each server's reply must match instead of being equal. */
    match?: RegExp;
    /** `@replies <n>`: the command answers with n replies (SUBSCRIBE a b c), compared as one. */
    replies?: number;
  }
  | { kind: "sleep"; line: number; ms: number }
  | { kind: "reset"; line: number };

export interface ParsedCorpus {
  steps: CorpusStep[];
  /** Lines that could not be parsed, as "line N: why". */
  errors: string[];
}

const enc = new TextEncoder();

/**
 * Cuts a trailing `# comment`: a `#` outside quotes that starts a word. A `#` inside a word
 * (`a#b`) or inside quotes (`"#"`) stays part of the command.
 */
export function stripComment(line: string): string {
  let q: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q) {
      if (c === "\\") i++;
      else if (c === q) q = null;
    } else if (c === '"' || c === "'") q = c;
    else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i).trimEnd();
  }
  return line.trimEnd();
}

const latin1 = (b: Uint8Array): string => String.fromCharCode(...b);

export function parseCorpus(text: string): ParsedCorpus {
  const steps: CorpusStep[] = [];
  const errors: string[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = i + 1;
    const body = stripComment(raw.replace(/\r$/, "")).trim();
    if (body === "") return;
    const words = splitArgs(enc.encode(body));
    if (words === undefined) {
      errors.push(`line ${line}: unbalanced quotes: ${raw}`);
      return;
    }
    let noreply = false;
    let match: RegExp | undefined;
    let replies: number | undefined;
    let args = words;
    const directive = latin1(words[0]).toLowerCase();
    if (directive === "@reset") {
      steps.push({ kind: "reset", line });
      return;
    }
    if (directive === "@sleep") {
      const ms = Number(latin1(words[1] ?? new Uint8Array()));
      if (!Number.isFinite(ms) || ms < 0) errors.push(`line ${line}: @sleep needs milliseconds`);
      else steps.push({ kind: "sleep", line, ms });
      return;
    }
    if (directive === "@replies") {
      replies = Number(latin1(words[1] ?? new Uint8Array()));
      if (!Number.isInteger(replies) || replies < 0 || words.length < 3) {
        errors.push(`line ${line}: @replies needs a count and a command`);
        return;
      }
      args = words.slice(2);
    } else if (directive === "@noreply") {
      noreply = true;
      args = words.slice(1);
    } else if (directive === "@match") {
      if (words.length < 3) {
        errors.push(`line ${line}: @match needs a regex and a command`);
        return;
      }
      try {
        match = new RegExp(new TextDecoder().decode(words[1]));
      } catch (e) {
        errors.push(`line ${line}: bad regex: ${(e as Error).message}`);
        return;
      }
      args = words.slice(2);
    } else if (directive.startsWith("@")) {
      errors.push(`line ${line}: unknown directive ${directive}`);
      return;
    }
    if (args.length === 0) {
      errors.push(`line ${line}: directive without a command`);
      return;
    }
    steps.push({ kind: "command", line, text: body, args, noreply, match, replies });
  });
  return { steps, errors };
}

/**
 * True when a raw reply matches an `@match` regex. The reply is tried as sent (CR LF included)
 * and without its final CR LF, so both `^:\d+$` and `\r\n$` style patterns work.
 */
export function replyMatches(re: RegExp, raw: Uint8Array): boolean {
  const s = latin1Full(raw);
  return re.test(s) || re.test(s.replace(/\r\n$/, ""));
}

function latin1Full(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

/** Raw bytes as a readable one-line string: \r \n \t \\ and \xHH for other non-printables. */
export function escapeBytes(b: Uint8Array | null, max = 400): string {
  if (b === null) return "(connection closed)";
  let s = "";
  for (let i = 0; i < b.length; i++) {
    if (s.length >= max) return `${s}… (${b.length} bytes)`;
    const c = b[i];
    if (c === 13) s += "\\r";
    else if (c === 10) s += "\\n";
    else if (c === 9) s += "\\t";
    else if (c === 92) s += "\\\\";
    else if (c >= 32 && c < 127) s += String.fromCharCode(c);
    else s += "\\x" + c.toString(16).padStart(2, "0");
  }
  return s;
}
