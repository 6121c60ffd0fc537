// How a figure reads in a cell: a share, «скрыто» for a suppressed one (never zero), «—» when
// there is nothing to count; with the numbers behind it in the title.
import type { DistrictFiguresFragment } from "../../gql/graphql";

export type Figures = DistrictFiguresFragment;

export interface Cell { text: string; title: string; kind: "value" | "suppressed" | "none" }

const PERCENT = new Intl.NumberFormat("ru-RU", {
  style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1,
});
const NUMBER = new Intl.NumberFormat("ru-RU", { maximumFractionDigits: 1 });

export const percent = (share: number) => PERCENT.format(share);
export const number = (value: number) => NUMBER.format(value);

export const SUPPRESSED = "скрыто";

export function suppressedTitle(threshold: number): string {
  return `Меньше ${threshold} учеников: показатель скрыт, чтобы по нему нельзя было узнать отдельных учеников`;
}

function suppressed(threshold: number): Cell {
  return { text: SUPPRESSED, title: suppressedTitle(threshold), kind: "suppressed" };
}

function none(title: string): Cell {
  return { text: "—", title, kind: "none" };
}

export const BASIS: Record<Figures["attainment"]["basis"], { label: string; title: string }> = {
  PERIOD_GRADES: {
    label: "отметки за период",
    title: "По отметкам за учебный период (период закрыт или окончен)",
  },
  CURRENT_AVERAGES: {
    label: "текущие отметки",
    title: "По средневзвешенному баллу текущих отметок за выбранные даты, округлённому по правилу школы",
  },
};

export function studentsCell(row: Figures): Cell {
  const a = row.attainment;
  if (a.suppressed) return suppressed(row.threshold);
  if (!a.students) return none("Нет учеников с отметками (например, обучение без отметок)");
  const pending = a.notYetAttested ? `; ещё не аттестованы: ${a.notYetAttested}` : "";
  return { text: String(a.students), title: `Учеников в расчёте: ${a.students}${pending}`, kind: "value" };
}

export function successCell(row: Figures): Cell {
  const a = row.attainment;
  if (a.suppressed) return suppressed(row.threshold);
  if (a.successRate == null) return none("Нет учеников с отметками (например, обучение без отметок)");
  return { text: percent(a.successRate), title: `Успевают ${a.passing} из ${a.students}`, kind: "value" };
}

export function qualityCell(row: Figures): Cell {
  const a = row.attainment;
  if (a.suppressed) return suppressed(row.threshold);
  if (a.qualityRate == null) return none("Нет учеников с отметками (например, обучение без отметок)");
  return { text: percent(a.qualityRate), title: `На «4» и «5»: ${a.quality} из ${a.students}`, kind: "value" };
}

export function attendanceCell(row: Figures): Cell {
  const a = row.attendance;
  if (a.suppressed) return suppressed(row.threshold);
  if (a.rate == null) return none("Уроков не было");
  return {
    text: percent(a.rate),
    title: `Пропущено ${a.absentLessons} из ${a.studentLessons} ученико-уроков`,
    kind: "value",
  };
}

export function timelinessCell(row: Figures): Cell {
  const t = row.timeliness;
  if (t.overallShare == null) return none("Уроков не было");
  return {
    text: percent(t.overallShare),
    title: `Тема, посещаемость, домашнее задание и отметки внесены вовремя; уроков: ${t.lessonsHeld}`,
    kind: "value",
  };
}

/** Lessons held against planned hours, over the lesson types that have a plan. */
export function curriculumShare(row: Figures): number | null {
  const planned = row.curriculum.filter((c) => c.fulfilment != null && c.plannedHours > 0);
  const hours = planned.reduce((sum, c) => sum + c.plannedHours, 0);
  return hours > 0 ? planned.reduce((sum, c) => sum + c.held, 0) / hours : null;
}

export function curriculumCell(row: Figures): Cell {
  const share = curriculumShare(row);
  if (share == null) return none("Нет учебного плана на эти даты");
  const lines = row.curriculum.filter((c) => c.fulfilment != null).map((c) =>
    `${c.lessonTypeName ?? "Без типа"}: ${c.held} из ${number(c.plannedHours)} ч`);
  return { text: percent(share), title: `Проведено уроков по плану. ${lines.join("; ")}`, kind: "value" };
}
