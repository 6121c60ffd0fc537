// Which dates the figures cover: a month, a school period or a range of days, from today by
// default; and the months of the academic year for the chart over the year.

export type Mode = "month" | "period" | "range";

export interface Selection {
  mode: Mode;
  month: string; // YYYY-MM
  period: string; // a period's name, e.g. «1 четверть»
  from: string;
  to: string;
  grade: number | null;
  municipalityId: string | null;
}

export interface Span { from: string; to: string }

const pad = (n: number) => String(n).padStart(2, "0");

/** Today in the browser's time zone, as YYYY-MM-DD. */
export function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function monthSpan(month: string): Span {
  const [year, m] = month.split("-").map(Number);
  const last = new Date(Date.UTC(year, m, 0)).getUTCDate();
  return { from: `${month}-01`, to: `${month}-${pad(last)}` };
}

/** A span still under way ends on `day`. */
export function upTo(span: Span, day: string): Span {
  return span.from <= day && day < span.to ? { from: span.from, to: day } : span;
}

/** The academic year (1 September – 31 May) that holds a day. */
export function academicYear(day: string): Span {
  const [year, month] = day.split("-").map(Number);
  const start = month >= 9 ? year : year - 1;
  return { from: `${start}-09-01`, to: `${start + 1}-05-31` };
}

/** The months of the academic year holding `day`, from September to the month of `day`. */
export function monthsUpTo(day: string): string[] {
  const start = Number(academicYear(day).from.slice(0, 4));
  const months: string[] = [];
  for (let i = 0; i < 9; i++) {
    const month = `${start + Math.floor((8 + i) / 12)}-${pad(((8 + i) % 12) + 1)}`;
    if (month > day.slice(0, 7)) break;
    months.push(month);
  }
  return months;
}

const MONTHS = ["январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август",
  "сентябрь", "октябрь", "ноябрь", "декабрь"];
const SHORT = ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"];

export function monthName(month: string, short = false): string {
  const [year, m] = month.split("-").map(Number);
  return short ? SHORT[m - 1] : `${MONTHS[m - 1]} ${year}`;
}

/** 2026-09-01 → 01.09.2026 */
export function dayLabel(day: string): string {
  const [y, m, d] = day.split("-");
  return `${d}.${m}.${y}`;
}

export function daysBetween(from: string, to: string): number {
  return (Date.parse(to) - Date.parse(from)) / 86_400_000;
}

export function readSelection(params: URLSearchParams, day: string): Selection {
  const mode = params.get("mode");
  const grade = Number(params.get("grade"));
  return {
    mode: mode === "period" || mode === "range" ? mode : "month",
    month: /^\d{4}-\d{2}$/.test(params.get("month") ?? "") ? params.get("month")! : day.slice(0, 7),
    period: params.get("period") ?? "",
    from: params.get("from") ?? monthSpan(day.slice(0, 7)).from,
    to: params.get("to") ?? day,
    grade: grade >= 1 && grade <= 11 ? grade : null,
    municipalityId: params.get("mun"),
  };
}

export function writeSelection(selection: Selection): URLSearchParams {
  const params = new URLSearchParams({ mode: selection.mode });
  if (selection.mode === "month") params.set("month", selection.month);
  if (selection.mode === "period" && selection.period) params.set("period", selection.period);
  if (selection.mode === "range") {
    params.set("from", selection.from);
    params.set("to", selection.to);
  }
  if (selection.grade) params.set("grade", String(selection.grade));
  if (selection.municipalityId) params.set("mun", selection.municipalityId);
  return params;
}
