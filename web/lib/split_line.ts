// Command-line parsing for the console, the way redis-cli splits what you type.

/** Splits a command line like redis-cli: spaces separate, "double" and 'single' quotes group. */
export function splitLine(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i])) i++;
    if (i >= line.length) break;
    let cur = "";
    const q = line[i] === '"' || line[i] === "'" ? line[i++] : "";
    for (;;) {
      if (i >= line.length) {
        if (q) return null; // unbalanced quotes
        break;
      }
      const c = line[i];
      if (q && c === q) {
        i++;
        if (i < line.length && !/\s/.test(line[i])) return null;
        break;
      }
      if (!q && /\s/.test(c)) break;
      if (q === '"' && c === "\\" && i + 1 < line.length) {
        const n = line[i + 1];
        if (n === "x" && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
          cur += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 4;
          continue;
        }
        cur += ({ n: "\n", r: "\r", t: "\t", b: "\b", a: "\x07" } as Record<
          string,
          string
        >)[n] ??
          n;
        i += 2;
        continue;
      }
      if (q === "'" && c === "\\" && line[i + 1] === "'") {
        cur += "'";
        i += 2;
        continue;
      }
      cur += c;
      i++;
    }
    out.push(cur);
  }
  return out;
}
