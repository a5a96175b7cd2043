// The shell: navigation, connection status, and the view for the current route.

import type { ComponentType } from "preact";
import { connState, loginRequired, logout } from "./lib/conn.ts";
import { navigate, route, section } from "./lib/router.ts";
import { AnalysisView } from "./views/analysis.tsx";
import { ClusterView } from "./views/cluster.tsx";
import { ConsoleView } from "./views/console.tsx";
import { FeedView } from "./views/feed.tsx";
import { KeysView } from "./views/keys.tsx";
import { LoginView } from "./views/login.tsx";
import { ServerView } from "./views/server.tsx";
import { TransferView } from "./views/transfer.tsx";

const VIEWS: [string, string, ComponentType][] = [
  ["keys", "Keys", KeysView],
  ["feed", "Live feed", FeedView],
  ["analysis", "Analysis", AnalysisView],
  ["transfer", "Export / import", TransferView],
  ["console", "Console", ConsoleView],
  ["server", "Server", ServerView],
  ["cluster", "Cluster", ClusterView],
];

const STATE_LABEL = {
  open: "connected",
  connecting: "connecting…",
  closed: "disconnected",
};

export function App() {
  if (connState.value === "auth") return <LoginView />;
  const current = section(route.value);
  const entry = VIEWS.find(([id]) => id === current) ?? VIEWS[0];
  const View = entry[2];
  const state = connState.value;
  return (
    <div class="app">
      <nav class="nav" aria-label="Views">
        <a
          class="brand"
          href="/"
          onClick={(e) => (e.preventDefault(), navigate("/"))}
        >
          <img src="/favicon.svg" alt="" width="22" height="22" />
          <span>Reredis</span>
        </a>
        {VIEWS.map(([id, label]) => (
          <a
            href={"/" + id}
            aria-current={id === entry[0] ? "page" : undefined}
            onClick={(e) => {
              e.preventDefault();
              navigate("/" + id);
            }}
          >
            {label}
          </a>
        ))}
        <span
          class={"conn conn-" + state}
          role="status"
          title="WebSocket connection"
        >
          {STATE_LABEL[state as keyof typeof STATE_LABEL]}
        </span>
        {loginRequired.value && (
          <button type="button" class="linkish" onClick={logout}>Log out</button>
        )}
      </nav>
      <main class={"view view-" + entry[0]}>
        <View />
      </main>
    </div>
  );
}
