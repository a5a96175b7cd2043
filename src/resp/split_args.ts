// Splits an inline command line into arguments exactly like Redis's sdssplitargs():
// spaces separate, "double quotes" take \n \r \t \b \a \\ \" \xHH escapes, 'single quotes' take \'.

const HEX = (c: number): number =>
  c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);

/** Returns the arguments, or undefined for unbalanced quotes (or a closing quote not followed by a space). */
export function splitArgs(line: Uint8Array): Uint8Array[] | undefined {
  const out: Uint8Array[] = [];
  const n = line.length;
  let p = 0;
  for (;;) {
    while (p < n && isSpace(line[p])) p++;
    if (p >= n) return out;
    const cur: number[] = [];
    let inq = false; // inside "double quotes"
    let insq = false; // inside 'single quotes'
    let done = false;
    while (!done) {
      if (inq) {
        if (p >= n) return undefined;
        const c = line[p];
        if (
          c === 92 && p + 3 < n && line[p + 1] === 120 && HEX(line[p + 2]) >= 0 &&
          HEX(line[p + 3]) >= 0
        ) {
          cur.push(HEX(line[p + 2]) * 16 + HEX(line[p + 3]));
          p += 3;
        } else if (c === 92 && p + 1 < n) {
          p++;
          const e = line[p];
          cur.push(
            e === 110 ? 10 : e === 114 ? 13 : e === 116 ? 9 : e === 98 ? 8 : e === 97 ? 7 : e,
          );
        } else if (c === 34) {
          if (p + 1 < n && !isSpace(line[p + 1])) return undefined;
          done = true;
        } else cur.push(c);
      } else if (insq) {
        if (p >= n) return undefined;
        const c = line[p];
        if (c === 92 && p + 1 < n && line[p + 1] === 39) {
          p++;
          cur.push(39);
        } else if (c === 39) {
          if (p + 1 < n && !isSpace(line[p + 1])) return undefined;
          done = true;
        } else cur.push(c);
      } else {
        if (p >= n) break;
        const c = line[p];
        if (isSpace(c)) done = true;
        else if (c === 34) inq = true;
        else if (c === 39) insq = true;
        else cur.push(c);
      }
      if (p < n) p++;
    }
    out.push(Uint8Array.from(cur));
  }
}
