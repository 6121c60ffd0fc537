// The charts where people would rather look than read: by school, by month over the year, by
// grade level. A suppressed figure is left out of a chart and its label says «скрыто».
import type { ReactNode } from "react";
import {
  Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis,
} from "recharts";
import { SUPPRESSED } from "./format";
import type { DistrictChartFiguresFragment } from "../../gql/graphql";

type Figures = DistrictChartFiguresFragment;

export interface Point { label: string; figures: Figures | null }

const SUCCESS = "#1f77b4";
const QUALITY = "#2ca02c";
const ATTENDANCE = "#ff7f0e";

interface Datum { label: string; success: number | null; quality: number | null; attendance: number | null }

/** Shares in percent; a suppressed or empty figure is null (a gap, never a zero). */
function datum({ label, figures }: Point): Datum {
  const a = figures?.attainment;
  const share = (v: number | null | undefined, hidden: boolean) =>
    hidden || v == null ? null : Math.round(v * 1000) / 10;
  const hidden = !figures || !!a?.suppressed;
  const note = !figures ? "" : a?.suppressed ? ` (${SUPPRESSED})`
    : a?.successRate == null ? " (без отметок)" : "";
  return {
    label: label + note,
    success: share(a?.successRate, hidden),
    quality: share(a?.qualityRate, hidden),
    attendance: share(figures?.attendance.rate, !figures || figures.attendance.suppressed),
  };
}

const percentTick = (v: number) => `${v}%`;
const tooltipValue = (v: unknown) => (v == null ? SUPPRESSED : `${String(v).replace(".", ",")} %`);

function Figure({ id, title, note, children }: { id: string; title: string; note?: string; children: ReactNode }) {
  return (
    <figure className="district-chart" aria-labelledby={id}>
      <figcaption id={id}>{title}</figcaption>
      {children}
      {note && <p className="district-note">{note}</p>}
    </figure>
  );
}

export function SchoolChart({ points }: { points: Point[] }) {
  const data = points.map(datum);
  const hidden = data.filter((d) => d.success == null).length;
  return (
    <Figure id="chart-schools" title="Успеваемость и качество знаний по школам"
      note={hidden ? `Без столбцов (${SUPPRESSED} или нет данных): ${hidden}` : undefined}>
      <ResponsiveContainer width="100%" height={60 + 36 * Math.max(points.length, 1)}>
        <BarChart data={data} layout="vertical" margin={{ left: 8, right: 16 }}>
          <CartesianGrid strokeDasharray="3 3" horizontal={false} />
          <XAxis type="number" domain={[0, 100]} tickFormatter={percentTick} />
          <YAxis type="category" dataKey="label" width={170} tick={{ fontSize: 12 }} interval={0} />
          <Tooltip formatter={tooltipValue} />
          <Legend />
          <Bar dataKey="success" name="Успеваемость" fill={SUCCESS} isAnimationActive={false} />
          <Bar dataKey="quality" name="Качество знаний" fill={QUALITY} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </Figure>
  );
}

export function MonthChart({ points }: { points: Point[] }) {
  const data = points.map(datum);
  return (
    <Figure id="chart-months" title="По месяцам учебного года"
      note="Каждый месяц — по текущим отметкам за месяц; пропуск линии — показатель скрыт или данных нет.">
      <ResponsiveContainer width="100%" height={280}>
        <LineChart data={data} margin={{ left: 0, right: 16 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="label" tick={{ fontSize: 12 }} />
          <YAxis domain={[0, 100]} tickFormatter={percentTick} width={52} />
          <Tooltip formatter={tooltipValue} />
          <Legend />
          <Line dataKey="success" name="Успеваемость" stroke={SUCCESS} connectNulls={false} isAnimationActive={false} />
          <Line dataKey="quality" name="Качество знаний" stroke={QUALITY} connectNulls={false} isAnimationActive={false} />
          <Line dataKey="attendance" name="Посещаемость" stroke={ATTENDANCE} connectNulls={false} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </Figure>
  );
}

export function GradeChart({ points }: { points: Point[] }) {
  // Eleven bars are narrow on a phone: the reason a bar is missing goes under the chart.
  const data = points.map((p) => ({ ...datum(p), label: p.label }));
  const missing = points.map(datum).flatMap((d, i) => (d.success == null
    ? [`${points[i].label} — ${d.label.includes(SUPPRESSED) ? SUPPRESSED : "без отметок"}`] : []));
  return (
    <Figure id="chart-grades" title="По параллелям"
      note={missing.length ? `Без столбцов: ${missing.join("; ")}.` : undefined}>
      <ResponsiveContainer width="100%" height={280}>
        <BarChart data={data} margin={{ left: 0, right: 16 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="label" tick={{ fontSize: 11 }} interval={0} />
          <YAxis domain={[0, 100]} tickFormatter={percentTick} width={52} />
          <Tooltip formatter={tooltipValue} />
          <Legend />
          <Bar dataKey="success" name="Успеваемость" fill={SUCCESS} isAnimationActive={false} />
          <Bar dataKey="quality" name="Качество знаний" fill={QUALITY} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </Figure>
  );
}
