export function TransferView() {
  return <p class="notice">Coming next.</p>;
}
