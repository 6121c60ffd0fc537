// The family's diary (students and guardians): the week's lessons with marks and attendance,
// the homework due, the report card, kept live by `diaryEvents`. A guardian picks the child.
import { useQuery } from "@apollo/client/react";
import { Link, useSearchParams } from "react-router-dom";
import type { AttendanceKind, FamilyStudentsQuery, GradeKind } from "../../gql/graphql";
import { FamilyStudentsDocument } from "./queries";
import { useDiaryEvents, type Connection, type DiaryEvent } from "./useDiaryEvents";
import { DiaryWeek } from "./DiaryWeek";
import { HomeworkDue } from "./HomeworkDue";
import { ReportCard } from "./ReportCard";
import { shortDate } from "./dates";
import { gradeText } from "./grades";
import "./family.css";

export type Student = FamilyStudentsQuery["me"]["students"][number];

const SECTIONS = [
  { key: "week", title: "Неделя" },
  { key: "homework", title: "Домашние задания" },
  { key: "report", title: "Табель" },
] as const;
type Section = (typeof SECTIONS)[number]["key"];

export function FamilyPage() {
  const { data, loading, error } = useQuery(FamilyStudentsDocument);
  const [params, setParams] = useSearchParams();
  if (loading && !data) return <p className="status">Загрузка…</p>;
  if (error || !data) return <p className="status error" role="alert">Не удалось загрузить дневник: {error?.message}</p>;
  const students = data.me.students;
  if (students.length === 0) return <p className="status">Нет учеников, чей дневник можно открыть.</p>;

  const wanted = params.get("student");
  const student = wanted ? students.find((s) => s.student.id === wanted) : students[0];
  const section: Section = SECTIONS.find((s) => s.key === params.get("section"))?.key ?? "week";
  const withParams = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) next.delete(key);
      else next.set(key, value);
    }
    return next;
  };
  const linkTo = (changes: Record<string, string | null>) => `?${withParams(changes).toString()}`;

  return (
    <div className="family">
      <div className="family-top">
        {students.length > 1 ? (
          <label className="family-child">Ребёнок
            <select value={student?.student.id ?? ""}
              onChange={(e) => setParams(withParams({ student: e.target.value, week: null }))}>
              {!student && <option value="">— выберите —</option>}
              {students.map((s) => (
                <option key={s.student.id} value={s.student.id}>{describe(s)}</option>
              ))}
            </select>
          </label>
        ) : student && <h1 className="family-name">{describe(student)}</h1>}
        <nav className="family-sections" aria-label="Разделы дневника">
          {SECTIONS.map((s) => (
            <Link key={s.key} to={linkTo({ section: s.key })}
              aria-current={s.key === section ? "page" : undefined}>{s.title}</Link>
          ))}
        </nav>
      </div>
      {student
        ? <StudentDiary key={student.student.id} student={student} section={section} params={params} linkTo={linkTo} />
        : <p className="status error" role="alert">Этого ученика нет среди ваших детей: выберите ребёнка из списка.</p>}
    </div>
  );
}

function describe(s: Student): string {
  return [s.student.fullName, s.schoolClass?.name, s.school.shortName].filter(Boolean).join(", ");
}

function StudentDiary({ student, section, params, linkTo }: {
  student: Student;
  section: Section;
  params: URLSearchParams;
  linkTo: (changes: Record<string, string | null>) => string;
}) {
  const { connection, last } = useDiaryEvents(student.student.id);
  return (
    <>
      <LiveStatus connection={connection} last={last} />
      {section === "week" && <DiaryWeek student={student} week={params.get("week")} linkTo={linkTo} />}
      {section === "homework" && <HomeworkDue student={student} />}
      {section === "report" && <ReportCard student={student} />}
    </>
  );
}

const CONNECTION: Record<Connection, string> = {
  connecting: "Подключение к обновлениям…",
  live: "Обновляется сам",
  lost: "Нет связи: переподключение…",
};

function LiveStatus({ connection, last }: { connection: Connection; last: DiaryEvent | null }) {
  return (
    <div className="family-live">
      <span className={`family-dot ${connection}`} aria-hidden="true" />
      <span>{CONNECTION[connection]}</span>
      <span role="status" aria-live="polite" className="family-last">{last ? eventText(last) : ""}</span>
    </div>
  );
}

const ABSENCES: Record<AttendanceKind, string> = {
  ABSENT: "н", ILL: "б (болел)", EXCUSED: "у (по уважительной причине)", LATE: "оп",
};

const GRADE_KINDS: Record<GradeKind, string> = {
  PERIOD: "за период", YEAR: "годовая", EXAM: "экзамен", FINAL: "итоговая",
};

function eventText(event: DiaryEvent): string {
  const deleted = event.op === "DELETED";
  switch (event.kind) {
    case "MARK":
      if (deleted || !event.mark) return "Отметка удалена";
      return `${event.op === "CREATED" ? "Новая отметка" : "Отметка изменена"}: ${event.mark.label} — `
        + `${event.mark.subjectName}, ${shortDate(event.mark.workDate)}`;
    case "ATTENDANCE":
      if (deleted || !event.attendance) return "Отметка о пропуске снята";
      return event.attendance.kind === "LATE"
        ? `Отмечено опоздание${event.attendance.lateMinutes ? ` на ${event.attendance.lateMinutes} мин` : ""}`
        : `Отмечен пропуск урока: ${ABSENCES[event.attendance.kind]}`;
    case "LESSON":
      return event.lesson ? `Урок изменён: ${event.lesson.subjectName}, ${shortDate(event.lesson.date)}` : "Урок изменён";
    case "GRADE": {
      const grade = event.grade;
      if (deleted || !grade) return "Оценка в табеле снята";
      const what = grade.period?.name ?? GRADE_KINDS[grade.kind];
      return `Оценка в табеле: ${grade.subject?.name ?? ""}, ${what} — ${gradeText(grade)}`;
    }
  }
}
