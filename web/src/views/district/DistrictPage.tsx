// Placeholder: this view is being built (issue 21).
export function DistrictPage() {
  return <h1>Показатели школ</h1>;
}
