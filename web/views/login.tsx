// Login screen, shown when the server requires a password (NOAUTH or a refused socket).

import { useState } from "preact/hooks";
import { authError, login } from "../lib/conn.ts";

export function LoginView() {
  const [user, setUser] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    const err = await login(user, password).catch((e: Error) => e.message);
    setBusy(false);
    authError.value = err ?? "";
    if (!err) setPassword(""); // success reloads the page
  };
  return (
    <main class="login">
      <form onSubmit={submit} class="login-box">
        <h1>Reredis</h1>
        <p class="muted">This server requires a password.</p>
        <label>
          Username (optional)
          <input
            value={user}
            autoComplete="username"
            onInput={(e) => setUser(e.currentTarget.value)}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            value={password}
            autoFocus
            autoComplete="current-password"
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        {authError.value && <p class="error" role="alert">{authError.value}</p>}
        <button type="submit" class="primary" disabled={busy}>Log in</button>
      </form>
    </main>
  );
}
