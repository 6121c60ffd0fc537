// The diary week by week: each day's lessons with subject, topic, homework, marks (work type
// and its weight) and attendance; today highlighted; previous and next week.
import { useQuery } from "@apollo/client/react";
import { Link } from "react-router-dom";
import type { DiarySpanQuery } from "../../gql/graphql";
import type { Student } from "./FamilyPage";
import { ATTENDANCE } from "./grades";
import { DiarySpanDocument, WorkTypesDocument } from "./queries";
import { addDays, dayTitle, isIsoDate, mondayOf, shortDate, spanTitle, todayIn } from "./dates";

type Day = NonNullable<DiarySpanQuery["diary"]>["days"][number];
type Lesson = Day["lessons"][number];
type Mark = Lesson["marks"][number];

export function DiaryWeek({ student, week, linkTo }: {
  student: Student;
  week: string | null;
  linkTo: (changes: Record<string, string | null>) => string;
}) {
  const today = todayIn(student.school.timezone);
  const thisMonday = mondayOf(today);
  const monday = isIsoDate(week) ? mondayOf(week) : thisMonday;
  const sunday = addDays(monday, 6);
  const { data, error, loading } = useQuery(DiarySpanDocument, {
    variables: { studentId: student.student.id, from: monday, to: sunday },
    fetchPolicy: "cache-and-network",
  });
  const weights = useWeights(student.school.id);
  const days = data?.diary?.days.filter((d) => d.date !== sunday || d.lessons.length > 0 || d.workMarks.length > 0);

  return (
    <section className="family-week" aria-labelledby="family-week-title">
      <div className="family-week-nav">
        <Link to={linkTo({ week: addDays(monday, -7) })} rel="prev">← Предыдущая неделя</Link>
        <h2 id="family-week-title">{spanTitle(monday, sunday)}</h2>
        <Link to={linkTo({ week: addDays(monday, 7) })} rel="next">Следующая неделя →</Link>
        {monday !== thisMonday && <Link to={linkTo({ week: null })}>Текущая неделя</Link>}
      </div>
      {error && <p className="status error" role="alert">Не удалось загрузить дневник: {error.message}</p>}
      {!data && loading && <p className="status">Загрузка…</p>}
      {data && !data.diary && <p className="status error" role="alert">Дневник этого ученика недоступен.</p>}
      {days && days.every((d) => d.lessons.length === 0) && <p className="family-note">На этой неделе уроков нет.</p>}
      {days && (
        <div className="family-days">
          {days.map((day) => <DayCard key={day.date} day={day} today={day.date === today} weights={weights} />)}
        </div>
      )}
    </section>
  );
}

function useWeights(schoolId: string): Map<string, number> {
  const { data } = useQuery(WorkTypesDocument, { variables: { schoolId } });
  return new Map(data?.workTypes.map((w) => [w.name, w.weight]) ?? []);
}

function DayCard({ day, today, weights }: { day: Day; today: boolean; weights: Map<string, number> }) {
  const titleId = `day-${day.date}`;
  return (
    <section className={`family-day${today ? " today" : ""}`} aria-labelledby={titleId}
      aria-current={today ? "date" : undefined}>
      <h3 id={titleId}>{dayTitle(day.date)}{today && <span className="family-today"> — сегодня</span>}</h3>
      {day.lessons.length === 0 && day.workMarks.length === 0 && <p className="family-empty">Уроков нет</p>}
      {day.lessons.length > 0 && (
        <ol className="family-lessons">
          {day.lessons.map((lesson) => <LessonRow key={lesson.lessonId} lesson={lesson} weights={weights} />)}
        </ol>
      )}
      {day.workMarks.length > 0 && (
        <div className="family-workmarks">
          <h4>Отметки за работы вне урока</h4>
          <ul>
            {day.workMarks.map((m, i) => (
              <li key={i}><span className="family-subject">{m.subject}</span> <MarkChip mark={m} weights={weights} /></li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

function LessonRow({ lesson, weights }: { lesson: Lesson; weights: Map<string, number> }) {
  const cancelled = lesson.status === "CANCELLED";
  return (
    <li className={`family-lesson${cancelled ? " cancelled" : ""}`} aria-label={`${lesson.lessonNumber ?? ""} ${lesson.subject}`.trim()}>
      <span className="family-number" aria-hidden="true">{lesson.lessonNumber ?? "·"}</span>
      <div className="family-what">
        <div>
          <span className="family-subject">{lesson.subject}</span>
          {cancelled && <span className="family-cancelled"> — урок отменён</span>}
        </div>
        {lesson.topic && <div className="family-topic">Тема: {lesson.topic}</div>}
        {lesson.homework && (
          <div className="family-homework">
            Д/з: {lesson.homework}
            {lesson.homeworkDueOn && <span className="family-due"> (к {shortDate(lesson.homeworkDueOn)})</span>}
            <Links links={lesson.homeworkLinks} />
          </div>
        )}
      </div>
      <div className="family-marks">
        {lesson.attendance && (
          <span className="family-absence" title={ATTENDANCE[lesson.attendance]}
            aria-label={`пропуск: ${lesson.attendance}, ${ATTENDANCE[lesson.attendance] ?? ""}`}>
            {lesson.attendance}{lesson.lateMinutes ? ` ${lesson.lateMinutes} мин` : ""}
          </span>
        )}
        {lesson.marks.map((m, i) => <MarkChip key={i} mark={m} weights={weights} />)}
      </div>
    </li>
  );
}

export function Links({ links }: { links: string[] }) {
  if (links.length === 0) return null;
  return (
    <ul className="family-links">
      {links.map((href) => <li key={href}><a href={href} target="_blank" rel="noreferrer noopener">{href}</a></li>)}
    </ul>
  );
}

function MarkChip({ mark, weights }: { mark: Pick<Mark, "label" | "workType" | "comment">; weights: Map<string, number> }) {
  const weight = weights.get(mark.workType);
  const work = weight === undefined ? mark.workType : `${mark.workType}, вес ${weight.toLocaleString("ru-RU")}`;
  // The visible work type and weight read as «Диктант вес 2» to a screen reader: the title
  // and the separate lines carry the comma.
  return (
    <span className="family-mark" title={[work, mark.comment].filter(Boolean).join(" — ")}>
      <span className="family-mark-value" aria-label={`отметка ${mark.label}`}>{mark.label}</span>
      <span className="family-mark-work">
        {mark.workType}
        {weight !== undefined && <span className="family-weight">вес {weight.toLocaleString("ru-RU")}</span>}
      </span>
      {mark.comment && <span className="family-mark-comment">{mark.comment}</span>}
    </span>
  );
}
