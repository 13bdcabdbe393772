export function SlaPolicyPage() {
  return <h1>SlaPolicy</h1>;
}
