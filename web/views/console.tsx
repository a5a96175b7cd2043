// Console: run any command, redis-cli style (quoting, history with arrow keys, rendered replies).

import { signal } from "@preact/signals";
import { useEffect, useRef, useState } from "preact/hooks";
import { dbCmdRaw } from "../lib/conn.ts";
import { renderReply } from "../lib/format.ts";
import { splitLine } from "../lib/split_line.ts";

interface Entry {
  prompt: string;
  input: string;
  output: string;
  error: boolean;
}

const HISTORY_KEY = "reredis.console.history";
const entries = signal<Entry[]>([]);
const consoleDb = signal(0);
const history: string[] = JSON.parse(localStorage.getItem(HISTORY_KEY) ?? "[]");

const BLOCKED: Record<string, string> = {
  monitor: "use Live feed → Profiler",
  subscribe: "use Live feed",
  psubscribe: "use Live feed",
  ssubscribe: "use Live feed",
};

export function ConsoleView() {
  const [line, setLine] = useState("");
  const [pos, setPos] = useState(history.length);
  const out = useRef<HTMLDivElement>(null);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    out.current?.scrollTo(0, out.current.scrollHeight);
  }, [entries.value]);
  useEffect(() => input.current?.focus(), []);

  const prompt = `${location.hostname}${consoleDb.value ? `[${consoleDb.value}]` : ""}>`;
  const push = (
    e: Entry,
  ) => (entries.value = entries.value.slice(-499).concat(e));

  const run = async (text: string) => {
    const trimmed = text.trim();
    if (!trimmed) return;
    if (history[history.length - 1] !== trimmed) history.push(trimmed);
    if (history.length > 200) history.splice(0, history.length - 200);
    localStorage.setItem(HISTORY_KEY, JSON.stringify(history));
    setPos(history.length);
    setLine("");
    const args = splitLine(trimmed);
    if (!args) {
      push({
        prompt,
        input: trimmed,
        output: "Invalid argument(s)",
        error: true,
      });
      return;
    }
    const name = args[0].toLowerCase();
    if (name === "clear") {
      entries.value = [];
      return;
    }
    if (BLOCKED[name]) {
      push({
        prompt,
        input: trimmed,
        output: `(not here: ${BLOCKED[name]})`,
        error: true,
      });
      return;
    }
    const db = consoleDb.value;
    const r = await dbCmdRaw(db, ...args).catch((e: Error) => ({
      error: e.message,
    }));
    const isErr = r !== null && typeof r === "object" && !Array.isArray(r) &&
      "error" in r;
    if (name === "select" && !isErr) consoleDb.value = Number(args[1]);
    push({
      prompt,
      input: trimmed,
      output: renderReply(r, name),
      error: isErr,
    });
  };

  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Enter") {
      e.preventDefault();
      void run(line);
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      const p = Math.max(0, pos - 1);
      setPos(p);
      if (history[p] !== undefined) setLine(history[p]);
    } else if (e.key === "ArrowDown") {
      e.preventDefault();
      const p = Math.min(history.length, pos + 1);
      setPos(p);
      setLine(history[p] ?? "");
    } else if (e.key === "l" && e.ctrlKey) {
      e.preventDefault();
      entries.value = [];
    }
  };

  return (
    <div
      class="console"
      onClick={() => getSelection()?.isCollapsed && input.current?.focus()}
    >
      <div class="console-out" ref={out} role="log" aria-live="polite">
        {entries.value.length === 0 && (
          <p class="muted">
            Run any command, e.g. <code>SET greeting hello</code>. ↑/↓ for history, Ctrl+L or{" "}
            <code>clear</code> to clear.
          </p>
        )}
        {entries.value.map((e) => (
          <div class="console-entry">
            <div class="console-cmd">
              <span class="prompt">{e.prompt}</span> {e.input}
            </div>
            <pre
              class={e.error ? "console-reply error" : "console-reply"}
            >{e.output}</pre>
          </div>
        ))}
      </div>
      <label class="console-in">
        <span class="prompt">{prompt}</span>
        <input
          ref={input}
          aria-label="Command"
          autoComplete="off"
          autoCapitalize="off"
          spellcheck={false}
          value={line}
          onInput={(e) => setLine(e.currentTarget.value)}
          onKeyDown={onKey}
        />
      </label>
    </div>
  );
}
