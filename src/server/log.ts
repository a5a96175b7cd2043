// Redis-style log lines: "pid:M 23 Nov 2026 14:20:01.123 * message", filtered by loglevel.

const LEVELS = ["debug", "verbose", "notice", "warning", "nothing"] as const;
export type LogLevel = typeof LEVELS[number];
const MARKS = [".", "-", "*", "#"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export class Logger {
  level = 2;
  role = "M";
  /** Where lines go; tests and logfile support replace it. */
  sink: (line: string) => void = (line) => console.log(line);

  setLevel(name: string): void {
    const i = LEVELS.indexOf(name as LogLevel);
    if (i >= 0) this.level = i;
  }

  #log(level: number, msg: string): void {
    if (level < this.level) return;
    const d = new Date();
    const p = (n: number, w = 2) => String(n).padStart(w, "0");
    const ts = `${p(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${p(d.getHours())}:${
      p(d.getMinutes())
    }:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
    this.sink(`${Deno.pid}:${this.role} ${ts} ${MARKS[level]} ${msg}`);
  }

  debug(msg: string): void {
    this.#log(0, msg);
  }
  verbose(msg: string): void {
    this.#log(1, msg);
  }
  notice(msg: string): void {
    this.#log(2, msg);
  }
  warning(msg: string): void {
    this.#log(3, msg);
  }
}
