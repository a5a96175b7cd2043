// "New key" dialog: a key of any type with its first element and an optional TTL.

import { useState } from "preact/hooks";
import { Dialog } from "../components/dialog.tsx";
import { type Arg, dbCmdRaw, isError } from "../lib/conn.ts";
import { addKey, db, selected } from "./keys_store.ts";

const FIELDS: Record<string, string[]> = {
  string: ["value"],
  hash: ["field", "value"],
  list: ["element"],
  set: ["member"],
  zset: ["member", "score"],
  stream: ["field", "value"],
};

function createArgs(type: string, key: string, v: string[]): Arg[] {
  switch (type) {
    case "string":
      return ["SET", key, v[0], "NX"];
    case "hash":
      return ["HSET", key, v[0], v[1]];
    case "list":
      return ["RPUSH", key, v[0]];
    case "set":
      return ["SADD", key, v[0]];
    case "zset":
      return ["ZADD", key, "NX", v[1] || "0", v[0]];
    default:
      return ["XADD", key, "*", v[0], v[1]];
  }
}

export function CreateKey({ onClose }: { onClose: () => void }) {
  const [type, setType] = useState("string");
  const [key, setKey] = useState("");
  const [ttl, setTtl] = useState("");
  const [vals, setVals] = useState<string[]>(["", ""]);
  const [error, setError] = useState("");

  const submit = async (e: Event) => {
    e.preventDefault();
    setError("");
    const d = db.value;
    if (!key) return setError("The key needs a name.");
    if (await dbCmdRaw(d, "EXISTS", key) === 1) {
      return setError(`“${key}” already exists.`);
    }
    const r = await dbCmdRaw(d, ...createArgs(type, key, vals));
    if (isError(r)) return setError(r.error);
    const seconds = Number(ttl);
    if (ttl && Number.isInteger(seconds) && seconds > 0) {
      await dbCmdRaw(d, "EXPIRE", key, seconds);
    }
    addKey(key);
    selected.value = key;
    onClose();
  };

  return (
    <Dialog title="New key" onClose={onClose}>
      <form onSubmit={submit} class="create-key">
        <label>
          Type
          <select value={type} onChange={(e) => setType(e.currentTarget.value)}>
            {Object.keys(FIELDS).map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
        </label>
        <label>
          Key
          <input
            value={key}
            autoFocus
            required
            onInput={(e) => setKey(e.currentTarget.value)}
          />
        </label>
        {FIELDS[type].map((f, i) => (
          <label>
            {f}
            {type === "string"
              ? (
                <textarea
                  value={vals[i]}
                  onInput={(e) =>
                    setVals(
                      vals.map((x, j) => (j === i ? e.currentTarget.value : x)),
                    )}
                />
              )
              : (
                <input
                  value={vals[i]}
                  onInput={(e) =>
                    setVals(
                      vals.map((x, j) => (j === i ? e.currentTarget.value : x)),
                    )}
                />
              )}
          </label>
        ))}
        <label>
          TTL in seconds (optional)
          <input
            type="number"
            min="1"
            value={ttl}
            onInput={(e) => setTtl(e.currentTarget.value)}
          />
        </label>
        {error && <p class="error" role="alert">{error}</p>}
        <div class="actions">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" class="primary">Create</button>
        </div>
      </form>
    </Dialog>
  );
}
