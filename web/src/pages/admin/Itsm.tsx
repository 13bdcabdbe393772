export function ItsmPage() {
  return <h1>Itsm</h1>;
}
