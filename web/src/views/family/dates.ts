// Calendar days as ISO strings (YYYY-MM-DD), the school's "today", and Russian wording.
// Arithmetic is done on UTC midnights so no local time zone or DST can shift a day.

const DAY_MS = 86_400_000;

function toUtc(iso: string): number {
  const [y, m, d] = iso.split("-").map(Number);
  return Date.UTC(y, m - 1, d);
}

function fromUtc(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function addDays(iso: string, days: number): string {
  return fromUtc(toUtc(iso) + days * DAY_MS);
}

/** Today in the school's time zone: the diary's days are the school's days. */
export function todayIn(timeZone: string): string {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" })
    .format(new Date());
}

/** The Monday of the week holding `iso`. */
export function mondayOf(iso: string): string {
  const weekday = (new Date(toUtc(iso)).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  return addDays(iso, -weekday);
}

export function isIsoDate(value: string | null): value is string {
  return value !== null && /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(toUtc(value));
}

const dayLong = new Intl.DateTimeFormat("ru-RU", { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" });
const dayMonth = new Intl.DateTimeFormat("ru-RU", { day: "numeric", month: "long", timeZone: "UTC" });
const dayMonthYear = new Intl.DateTimeFormat("ru-RU", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
const short = new Intl.DateTimeFormat("ru-RU", { day: "2-digit", month: "2-digit", timeZone: "UTC" });

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** «Понедельник, 30 ноября». */
export function dayTitle(iso: string): string {
  return capitalize(dayLong.format(toUtc(iso)));
}

/** «30 ноября — 6 декабря 2026». */
export function spanTitle(from: string, to: string): string {
  return `${dayMonth.format(toUtc(from))} — ${dayMonthYear.format(toUtc(to))}`;
}

/** «04.12». */
export function shortDate(iso: string): string {
  return short.format(toUtc(iso));
}

/** «04.12.2026». */
export function fullDate(iso: string): string {
  return new Intl.DateTimeFormat("ru-RU", { timeZone: "UTC" }).format(toUtc(iso));
}
