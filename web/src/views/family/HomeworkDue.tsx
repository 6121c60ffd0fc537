// Homework due in the coming two weeks, in one list by the day it is due.
import { useQuery } from "@apollo/client/react";
import type { Student } from "./FamilyPage";
import { Links } from "./DiaryWeek";
import { DiarySpanDocument } from "./queries";
import { addDays, dayTitle, shortDate, todayIn } from "./dates";

const DAYS_AHEAD = 14;

export function HomeworkDue({ student }: { student: Student }) {
  const today = todayIn(student.school.timezone);
  const until = addDays(today, DAYS_AHEAD - 1);
  const { data, error, loading } = useQuery(DiarySpanDocument, {
    variables: { studentId: student.student.id, from: today, to: until },
    fetchPolicy: "cache-and-network",
  });
  const days = data?.diary?.days.filter((d) => d.homeworkDue.length > 0) ?? [];
  return (
    <section className="family-homework-due" aria-labelledby="family-homework-title">
      <h2 id="family-homework-title">Домашние задания на две недели вперёд</h2>
      {error && <p className="status error" role="alert">Не удалось загрузить задания: {error.message}</p>}
      {!data && loading && <p className="status">Загрузка…</p>}
      {data && !data.diary && <p className="status error" role="alert">Дневник этого ученика недоступен.</p>}
      {data?.diary && days.length === 0 && <p className="family-note">На ближайшие дни заданий нет.</p>}
      {days.map((day) => (
        <section key={day.date} className={`family-due-day${day.date === today ? " today" : ""}`}
          aria-labelledby={`due-${day.date}`}>
          <h3 id={`due-${day.date}`}>{dayTitle(day.date)}{day.date === today && <span className="family-today"> — сегодня</span>}</h3>
          <ul>
            {day.homeworkDue.map((hw, i) => (
              <li key={i} className="family-due-item">
                <span className="family-subject">{hw.subject}</span>
                <span className="family-due-text">{hw.homework}</span>
                <span className="family-due">задано {shortDate(hw.assignedOn)}</span>
                <Links links={hw.homeworkLinks} />
              </li>
            ))}
          </ul>
        </section>
      ))}
    </section>
  );
}
