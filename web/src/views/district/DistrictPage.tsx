// The district and region view (officers, read_aggregates tokens): the schools of the viewer's
// reach with успеваемость, качество, attendance, timeliness and curriculum fulfilment for a
// month, a school period or a range of days; charts by school, month and grade level; the
// monthly report's files. Only `aggregates` (no personal data) and /exports/monthly-report.
import { useMemo, type ReactNode } from "react";
import { useSearchParams } from "react-router-dom";
import { useQuery } from "@apollo/client/react";
import { useViewer } from "../../auth/viewer";
import type { AggregateFilter, DistrictYearsQuery } from "../../gql/graphql";
import { GradeChart, MonthChart, SchoolChart } from "./Charts";
import { Controls } from "./Controls";
import { MonthlyDownloads } from "./Downloads";
import { FiguresTable, type SchoolLine } from "./FiguresTable";
import { BASIS, SUPPRESSED } from "./format";
import {
  DistrictByGradeQuery, DistrictBySchoolQuery, DistrictMonthQuery, DistrictReachQuery,
  DistrictSchoolNamesQuery, DistrictTotalsQuery, DistrictYearsQuery as YearsDocument,
} from "./queries";
import {
  academicYear, dayLabel, daysBetween, monthName, monthSpan, monthsUpTo, readSelection,
  today, upTo, writeSelection, type Selection, type Span,
} from "./range";
import { useQueries } from "./useQueries";
import "./district.css";

type YearNode = NonNullable<DistrictYearsQuery["academicYears"]["edges"][number]>["node"];
export type PeriodOfSchool = YearNode["periodSchemes"][number]["periods"][number] & { scheme: string };

export function DistrictPage() {
  const day = useMemo(today, []);
  const [params, setParams] = useSearchParams();
  const selection = readSelection(params, day);
  const update = (patch: Partial<Selection>) =>
    setParams(writeSelection({ ...selection, ...patch }), { replace: true });
  const me = useViewer().data?.me;

  const reach = useQuery(DistrictReachQuery, { variables: academicYear(day), fetchPolicy: "no-cache" });
  const reachRows = reach.data?.aggregates.rows ?? [];
  const schoolIds = [...new Set(reachRows.flatMap((r) => (r.schoolId ? [r.schoolId] : [])))];
  const names = useQuery(DistrictSchoolNamesQuery, { variables: { ids: schoolIds }, skip: !schoolIds.length });
  const shortName = new Map((names.data?.nodes ?? []).flatMap((n) =>
    n && "shortName" in n ? [[n.id, n.shortName] as const] : []));
  const municipalities = [...new Map(reachRows.map((r) => [r.municipalityId ?? "", r.municipalityName ?? ""]))]
    .sort((a, b) => a[1].localeCompare(b[1], "ru"));
  const municipalityId = municipalities.some(([id]) => id === selection.municipalityId)
    ? selection.municipalityId : null;
  const inScope = reachRows.filter((r) => !municipalityId || r.municipalityId === municipalityId);

  // A period is a school's: each school of the reach reads its own period of the chosen name.
  const years = useQueries(YearsDocument, selection.mode === "period" && schoolIds.length
    ? schoolIds.map((schoolId) => ({ schoolId })) : null, 6);
  const periodsBySchool = new Map(schoolIds.map((id, i) => {
    const edges = years.data?.[i]?.academicYears.edges ?? [];
    const year = edges.find((e) => e && e.node.startsOn <= day && day <= e.node.endsOn) ?? edges[0];
    return [id, year?.node.periodSchemes.flatMap((s) => s.periods.map((p) => ({ ...p, scheme: s.name }))) ?? []];
  }));
  const periodNames = periodChoices([...periodsBySchool.values()].flat());
  const periodName = periodNames.some((p) => p.name === selection.period)
    ? selection.period : defaultPeriod(periodNames, day);
  const periodOf = (schoolId: string) =>
    periodsBySchool.get(schoolId)?.find((p) => p.name === periodName) ?? null;

  const span = spanOf(selection, periodName, inScope.flatMap((r) => {
    const p = r.schoolId ? periodOf(r.schoolId) : null;
    return p ? [p] : [];
  }), day);
  const problem = spanProblem(selection, span, years.loading, periodName);
  // In a period, the totals and charts are over the schools that have it.
  const withPeriod = selection.mode === "period"
    ? inScope.flatMap((r) => (r.schoolId && periodOf(r.schoolId) ? [r.schoolId] : [])) : null;
  // Asked once the reach is known: a municipality in the address is checked against it first.
  const filter: AggregateFilter | null = problem || !span || !reach.data ? null : {
    from: span.from, to: span.to, gradeLevels: selection.grade ? [selection.grade] : null, municipalityId,
    schoolIds: withPeriod,
  };

  const byDates = useQuery(DistrictBySchoolQuery, {
    variables: { filter: filter! }, skip: !filter || selection.mode === "period",
  });
  const byPeriod = useQueries(DistrictBySchoolQuery, filter && selection.mode === "period"
    ? inScope.flatMap((r) => {
      const p = r.schoolId ? periodOf(r.schoolId) : null;
      return p ? [{ filter: { ...filter, schoolIds: [r.schoolId!], periodId: p.id, ...upTo({ from: p.startsOn, to: p.endsOn }, day) } }] : [];
    }) : null);
  const totals = useQuery(DistrictTotalsQuery, { variables: { filter: filter! }, skip: !filter });
  const schools: SchoolLine[] | null = selection.mode === "period"
    ? byPeriod.data?.flatMap((d) => d.aggregates.rows) ?? null
    : byDates.data?.aggregates.rows ?? null;

  // The charts ask after the table has its figures: the table is what most people came for.
  const tableDone = schools !== null && !totals.loading;
  // Every grade level, whichever one the table shows: a chart of one bar says nothing.
  const grades = useQuery(DistrictByGradeQuery, {
    variables: { filter: { ...filter!, gradeLevels: null } }, skip: !filter || !tableDone,
  });
  const months = monthsUpTo(span && span.to < day ? span.to : day);
  const byMonth = useQueries(DistrictMonthQuery, filter && tableDone
    ? months.map((m) => ({ filter: { ...filter, ...upTo(monthSpan(m), day) } })) : null);
  const schoolsLoading = selection.mode === "period" ? byPeriod.loading || years.loading : byDates.loading;
  const schoolsError = selection.mode === "period" ? years.error ?? byPeriod.error : byDates.error?.message;
  const municipalityName = municipalities.find(([id]) => id === municipalityId)?.[1] ?? null;
  const totalLabel = municipalityName ? `Итого: ${municipalityName}`
    : me?.officerRegion ? "Итого по области"
    : me?.officerMunicipalities.length === 1 ? `Итого: ${me.officerMunicipalities[0].name}` : "Итого";

  return (
    <div className="district">
      <h1>Показатели школ</h1>
      <Controls selection={selection} update={update} municipalities={municipalities}
        municipalityId={municipalityId} periodNames={periodNames.map((p) => [p.scheme, p.label])}
        periodName={periodName} periodsLoading={years.loading} />
      {problem && <p role="alert" className="error">{problem}</p>}
      {reach.error && <p role="alert" className="error">Не удалось загрузить школы: {reach.error.message}</p>}

      <section aria-labelledby="table-title">
        <h2 id="table-title">Школы</h2>
        <State loading={schoolsLoading && !!filter} error={schoolsError ?? null}
          retry={selection.mode === "period" ? byPeriod.retry : () => void byDates.refetch()}
          empty={schools !== null && schools.length === 0}>
          {schools && span && (
            <FiguresTable
              caption={caption(selection, periodName, byDates.data && selection.mode !== "period"
                ? byDates.data.aggregates : span)}
              schools={schools}
              municipalities={totals.data?.byMunicipality.rows ?? null}
              total={totals.data?.total.rows[0] ?? null}
              totalLabel={totalLabel} />
          )}
        </State>
        {selection.mode === "period" && schools && (
          <p className="district-note">
            Успеваемость и качество каждой школы — за её период «{periodName}» (только параллели, которые
            учатся по этим периодам); итог — по датам {span && `${dayLabel(span.from)}–${dayLabel(span.to)}`},
            по текущим отметкам.
          </p>
        )}
        <Legend threshold={schools?.[0]?.threshold ?? 5} />
      </section>

      <section aria-labelledby="charts-title" className="district-charts">
        <h2 id="charts-title">Графики</h2>
        {schools && schools.length > 0 && (
          <SchoolChart points={[...schools].sort((a, b) => (a.schoolName ?? "").localeCompare(b.schoolName ?? "", "ru"))
            .map((s) => ({ label: shortName.get(s.schoolId ?? "") ?? s.schoolName ?? "", figures: s }))} />
        )}
        <State loading={!byMonth.data && !!filter} error={byMonth.error} empty={false} retry={byMonth.retry}>
          {byMonth.data && (
            <MonthChart points={months.map((m, i) => ({
              label: monthName(m, true), figures: byMonth.data?.[i]?.aggregates.rows[0] ?? null,
            }))} />
          )}
        </State>
        <State loading={!grades.data && !!filter} error={grades.error?.message ?? null} empty={false}
          retry={() => void grades.refetch()}>
          {grades.data && (
            <GradeChart points={Array.from({ length: 11 }, (_, i) => i + 1)
              .map((g) => ({
                label: String(g), figures: grades.data?.aggregates.rows.find((r) => r.gradeLevel === g) ?? null,
              }))} />
          )}
        </State>
      </section>

      <MonthlyDownloads month={selection.mode === "month" ? selection.month : (span?.from ?? day).slice(0, 7)}
        municipality={municipalityName} />
    </div>
  );
}

function State({ loading, error, empty, retry, children }: {
  loading: boolean; error: string | null; empty: boolean; retry?: () => void; children: ReactNode;
}) {
  if (error) {
    return (
      <p role="alert" className="error">Не удалось загрузить показатели: {error}{" "}
        {retry && <button type="button" onClick={retry}>Повторить</button>}
      </p>
    );
  }
  if (loading) return <p role="status" className="district-loading">Загрузка показателей…</p>;
  if (empty) return <p role="status">За эти даты данных нет: уроков не было.</p>;
  return <>{children}</>;
}

function Legend({ threshold }: { threshold: number }) {
  return (
    <dl className="district-legend" aria-label="Условные обозначения">
      <dt>{SUPPRESSED}</dt>
      <dd>показатель по группе меньше {threshold} учеников не публикуется, чтобы по нему нельзя было узнать
        отдельных учеников (это не ноль)</dd>
      <dt>—</dt><dd>считать не из чего: нет уроков, нет отметок (обучение без отметок) или нет учебного плана</dd>
      <dt>{BASIS.CURRENT_AVERAGES.label}</dt><dd>{BASIS.CURRENT_AVERAGES.title.toLowerCase()}</dd>
      <dt>{BASIS.PERIOD_GRADES.label}</dt><dd>{BASIS.PERIOD_GRADES.title.toLowerCase()}</dd>
    </dl>
  );
}

interface PeriodChoice { name: string; label: string; scheme: string; startsOn: string; endsOn: string; schools: number }

/** Period names across the schools, in calendar order, with their dates when all agree. */
function periodChoices(periods: PeriodOfSchool[]): PeriodChoice[] {
  const byName = new Map<string, PeriodOfSchool[]>();
  for (const p of periods) byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
  return [...byName.entries()].map(([name, list]) => {
    const startsOn = list.map((p) => p.startsOn).sort()[0];
    const endsOn = list.map((p) => p.endsOn).sort().at(-1)!;
    const same = list.every((p) => p.startsOn === startsOn && p.endsOn === endsOn);
    return { name, startsOn, endsOn, schools: list.length, scheme: list[0].scheme,
      label: same ? `${name} (${dayLabel(startsOn).slice(0, 5)}–${dayLabel(endsOn).slice(0, 5)})` : name };
  }).sort((a, b) => a.startsOn.localeCompare(b.startsOn) || a.endsOn.localeCompare(b.endsOn));
}

/** Of the periods already over (their grades are given), the one most schools have, the
 * latest of those; else the first. */
function defaultPeriod(choices: PeriodChoice[], day: string): string {
  const over = choices.filter((p) => p.endsOn < day)
    .sort((a, b) => a.schools - b.schools || a.endsOn.localeCompare(b.endsOn));
  return (over.at(-1) ?? choices[0])?.name ?? "";
}

/** The days asked; a month or period still under way ends today (its planned hours would
 * otherwise count days not yet taught). */
function spanOf(selection: Selection, periodName: string, periods: PeriodOfSchool[], day: string): Span | null {
  if (selection.mode === "range") return { from: selection.from, to: selection.to };
  if (selection.mode === "month") return upTo(monthSpan(selection.month), day);
  const chosen = periods.filter((p) => p.name === periodName);
  if (!chosen.length) return null;
  return upTo({ from: chosen.map((p) => p.startsOn).sort()[0], to: chosen.map((p) => p.endsOn).sort().at(-1)! }, day);
}


function spanProblem(selection: Selection, span: Span | null, loading: boolean, periodName: string): string | null {
  if (selection.mode === "period") {
    if (loading) return null;
    return span ? null : periodName ? `Ни у одной школы нет периода «${periodName}»` : "У школ нет учебных периодов";
  }
  if (!span || !span.from || !span.to) return "Укажите даты: «с» и «по»";
  if (span.from > span.to) return "Дата «по» раньше даты «с»";
  if (daysBetween(span.from, span.to) > 400) return "Не больше 400 дней между датами «с» и «по»";
  return null;
}

function caption(selection: Selection, periodName: string, span: Span): string {
  const dates = `${dayLabel(span.from)}–${dayLabel(span.to)}`;
  const grade = selection.grade ? `, ${selection.grade} классы` : "";
  if (selection.mode === "month") return `За ${monthName(selection.month)} (${dates})${grade}`;
  if (selection.mode === "period") return `За период «${periodName}» (${dates})${grade}`;
  return `За ${dates}${grade}`;
}
