// Placeholder: this view is being built (issue 21).
export function FamilyPage() {
  return <h1>Дневник</h1>;
}
