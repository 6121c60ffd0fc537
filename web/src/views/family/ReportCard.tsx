// The report card (табель): per subject each period's grade and state, the year, exam and
// final grades; an open period shows the current average, marked as not a grade.
import { useQuery } from "@apollo/client/react";
import type { FamilyReportCardQuery, ReportGradeFragment } from "../../gql/graphql";
import type { Student } from "./FamilyPage";
import { decimal, gradeText, gradeTitle } from "./grades";
import { AcademicYearsDocument, ReportCardDocument } from "./queries";
import { todayIn } from "./dates";

type Subject = NonNullable<FamilyReportCardQuery["reportCard"]>["subjects"][number];
type PeriodCell = Subject["periods"][number];

export function ReportCard({ student }: { student: Student }) {
  const yearId = useAcademicYear(student);
  const { data, error, loading } = useQuery(ReportCardDocument, {
    variables: { studentId: student.student.id, academicYearId: yearId ?? "" },
    skip: !yearId,
    fetchPolicy: "cache-and-network",
  });
  const card = data?.reportCard;
  if (error) return <p className="status error" role="alert">Не удалось загрузить табель: {error.message}</p>;
  if (!card) {
    if (loading || yearId === undefined) return <p className="status">Загрузка…</p>;
    return <p className="status">Табеля за этот учебный год нет.</p>;
  }
  // Subjects of different grade levels may use different schemes (четверти, полугодия):
  // one column per period, by start; a subject's cell is empty where its scheme has none.
  const columns = new Map<string, PeriodCell["period"]>();
  for (const subject of card.subjects) for (const p of subject.periods) columns.set(p.period.id, p.period);
  const periods = [...columns.values()].sort((a, b) => a.startsOn.localeCompare(b.startsOn));
  const hasExams = card.subjects.some((s) => s.examGrades.length > 0);

  return (
    <section className="family-report" aria-labelledby="family-report-title">
      <h2 id="family-report-title">Табель успеваемости, {card.academicYear.name} учебный год</h2>
      {card.subjects.length === 0 ? <p className="family-note">В табеле пока нет предметов.</p> : (
        <div className="family-table-box">
          <table className="family-table">
            <thead>
              <tr>
                <th scope="col">Предмет</th>
                {periods.map((p) => <th scope="col" key={p.id}>{p.name}</th>)}
                <th scope="col">Год</th>
                {hasExams && <th scope="col">Экзамены</th>}
                <th scope="col">Итог</th>
              </tr>
            </thead>
            <tbody>
              {card.subjects.map((subject) => (
                <tr key={subject.subject.id}>
                  <th scope="row">{subject.subject.name}</th>
                  {periods.map((p) => (
                    <td key={p.id}><PeriodGrade cell={subject.periods.find((c) => c.period.id === p.id)} /></td>
                  ))}
                  <td><GradeOrDash grade={subject.yearGrade} /></td>
                  {hasExams && (
                    <td>
                      {subject.examGrades.length === 0 ? "—" : subject.examGrades.map((g) => (
                        <div key={g.id} className="family-exam">
                          {g.examKind?.shortName ?? "Экзамен"}: <GradeOrDash grade={g} />
                          {g.testScore !== null && g.testScore !== undefined && <span> ({decimal(g.testScore, 0)} б.)</span>}
                        </div>
                      ))}
                    </td>
                  )}
                  <td><GradeOrDash grade={subject.finalGrade} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p className="family-legend">
        <span className="family-average">ср. 4,33</span> — текущий средний балл незакрытого периода: это не
        отметка, она ещё может измениться. н/а — не аттестован, осв. — освобождён.
      </p>
    </section>
  );
}

function useAcademicYear(student: Student): string | null | undefined {
  const known = student.schoolClass?.academicYearId;
  const { data } = useQuery(AcademicYearsDocument, { variables: { schoolId: student.school.id }, skip: !!known });
  if (known) return known;
  if (!data) return undefined;
  // Between years (no class): the year holding today, else the latest one.
  const today = todayIn(student.school.timezone);
  const years = data.academicYears.edges.map((e) => e.node);
  const current = years.find((y) => y.startsOn <= today && today <= y.endsOn)
    ?? [...years].sort((a, b) => b.startsOn.localeCompare(a.startsOn))[0];
  return current?.id ?? null;
}

function GradeOrDash({ grade }: { grade: ReportGradeFragment | null | undefined }) {
  if (!grade) return <span className="family-nograde" aria-label="нет оценки">—</span>;
  return (
    <span className={`family-grade ${grade.state.toLowerCase()}`} title={gradeTitle(grade)}>{gradeText(grade)}</span>
  );
}

function PeriodGrade({ cell }: { cell: PeriodCell | undefined }) {
  if (!cell) return <span className="family-nograde" aria-label="нет такого периода">·</span>;
  const average = cell.currentAverage;
  const shown = average?.average ?? average?.axisAverage;
  return (
    <>
      <GradeOrDash grade={cell.grade} />
      {!cell.closed && average && shown !== null && shown !== undefined && (
        <span className="family-average" title={`Текущий средний балл по ${average.countedMarks} отм.: не отметка`}
          aria-label={`текущий средний балл ${decimal(shown)}, не отметка`}>
          ср. {decimal(shown)}{average.average === null ? " из 100" : ""}
        </span>
      )}
    </>
  );
}
