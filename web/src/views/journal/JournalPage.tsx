// Placeholder: this view is being built (issue 21).
export function JournalPage() {
  return <h1>Журнал</h1>;
}
