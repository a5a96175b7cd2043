export function AnalysisView() {
  return <p class="notice">Coming next.</p>;
}
