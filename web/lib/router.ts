// Client-side routes with the history API; the server answers index.html for each top-level route.

import { signal } from "@preact/signals";

export const route = signal(location.pathname);

addEventListener("popstate", () => (route.value = location.pathname));

/** Goes to `path` (pushState) and re-renders the matching view. */
export function navigate(path: string): void {
  if (path === location.pathname) return;
  history.pushState(null, "", path);
  route.value = path;
}

/** The first path segment ("keys" for /keys/user:1), "keys" for "/". */
export function section(path: string): string {
  return path.split("/")[1] || "keys";
}
