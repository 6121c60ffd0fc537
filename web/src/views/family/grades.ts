// How a grade and a mark read in the family view: one wording everywhere on the page.
import type { ReportGradeFragment } from "../../gql/graphql";
import { fullDate } from "./dates";

/** «5», «н/а», «осв.», «отсрочка до 20.12.2026». */
export function gradeText(grade: ReportGradeFragment): string {
  switch (grade.state) {
    case "GRADED": return grade.value ?? "—";
    case "NOT_ATTESTED": return "н/а";
    case "EXEMPT": return "осв.";
    case "DEFERRED": return grade.deferredUntil ? `отсрочка до ${fullDate(grade.deferredUntil)}` : "отсрочка";
  }
}

/** The spoken name of a grade's state, for screen readers and the tooltip. */
export function gradeTitle(grade: ReportGradeFragment): string {
  switch (grade.state) {
    case "GRADED": return `отметка ${grade.value ?? ""}`.trim();
    case "NOT_ATTESTED": return "не аттестован";
    case "EXEMPT": return "освобождён";
    case "DEFERRED": return [`отсрочка${grade.deferredUntil ? ` до ${fullDate(grade.deferredUntil)}` : ""}`,
      grade.deferredReason].filter(Boolean).join(": ");
  }
}

/** A decimal the Russian way: 4,33. */
export function decimal(value: number, digits = 2): string {
  return value.toLocaleString("ru-RU", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** «н» absent, «б» ill, «у» excused, «оп» late: what the letter means. */
export const ATTENDANCE: Record<string, string> = {
  "н": "отсутствовал",
  "б": "болел",
  "у": "отсутствовал по уважительной причине",
  "оп": "опоздал",
};
