// What a teacher types into a journal cell: marks of the group's scale and attendance codes,
// read as the paper journal writes them (н, б, у, оп15), forgiving the keyboard layout.

export interface CellValue { marks: string[]; code: string | null }

export interface Typed {
  marks?: string[];
  code?: string | null;
  lateMinutes?: number | null;
}

// н on the Russian layout is the Latin Y key; a teacher thinking in Latin types n (т in the
// Russian layout on the same key).
const ABSENT = new Set(["н", "n", "y", "т"]);
const SIMPLE_CODES: Record<string, string> = { б: "б", у: "у" };

export const ATTENDANCE_HELP = "н — отсутствовал, б — болел, у — уважительная причина, оп10 — опоздал на 10 минут";

/** Parse typed text; an error message names what is wrong. */
export function parseCell(text: string, labels: string[], withoutMarks: boolean): Typed | { error: string } {
  const tokens = text.trim().toLowerCase().split(/[\s;]+/).filter(Boolean);
  const byLower = new Map(labels.map((label) => [label.toLowerCase(), label]));
  const typed: Typed = {};
  for (const token of tokens) {
    const label = byLower.get(token);
    if (label !== undefined) {
      if (withoutMarks) return { error: "Группа учится без отметок: можно отмечать только посещаемость" };
      typed.marks = [...(typed.marks ?? []), label];
      continue;
    }
    if (typed.code !== undefined) return { error: `В клетке может быть только одна отметка посещаемости («${token}» лишнее)` };
    if (ABSENT.has(token)) { typed.code = "н"; continue; }
    if (SIMPLE_CODES[token]) { typed.code = SIMPLE_CODES[token]; continue; }
    const late = /^оп(\d{1,2})?$/.exec(token);
    if (late) {
      const minutes = late[1] ? Number(late[1]) : NaN;
      if (!(minutes >= 1 && minutes <= 45)) return { error: "Опоздание: укажите минуты от 1 до 45, например «оп10»" };
      typed.code = "оп";
      typed.lateMinutes = minutes;
      continue;
    }
    const allowed = withoutMarks ? "" : `отметки ${labels.join(", ")}; `;
    return { error: `«${token}» — нет такой отметки. Можно: ${allowed}${ATTENDANCE_HELP}` };
  }
  return typed;
}

/** A single key that is a whole value by itself (no longer value starts with it). */
export function completeKey(key: string, labels: string[], withoutMarks: boolean): boolean {
  const lower = key.toLowerCase();
  const values = [...(withoutMarks ? [] : labels.map((l) => l.toLowerCase())), "н", "n", "y", "т", "б", "у", "оп"];
  return values.includes(lower) && !values.some((v) => v !== lower && v.startsWith(lower));
}

export function cellText(value: CellValue): string {
  return [...value.marks, ...(value.code ? [value.code] : [])].join(" ");
}

/** dd.mm of an ISO date. */
export function shortDate(iso: string): string {
  return `${iso.slice(8, 10)}.${iso.slice(5, 7)}`;
}
