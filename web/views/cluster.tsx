export function ClusterView() {
  return <p class="notice">Coming next.</p>;
}
