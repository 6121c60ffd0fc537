// The topic and homework of the lesson whose column is selected, saved with `updateLesson`
// against the version read with the grid: a change made meanwhile by someone else is shown,
// and saving again writes the teacher's text over it.
import { useState, type FormEvent } from "react";
import { useMutation } from "@apollo/client/react";
import { shortDate } from "./cells";
import { UpdateLessonDocument } from "./documents";
import type { Lesson } from "./Grid";

interface Props {
  lesson: Lesson;
  version: number | null;
  onSaved: () => void;
}

export function LessonPanel({ lesson, version, onSaved }: Props) {
  const [topic, setTopic] = useState(lesson.topic ?? "");
  const [homework, setHomework] = useState(lesson.homework ?? "");
  const [expected, setExpected] = useState<number | null>(null);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const [conflict, setConflict] = useState(false);
  const [update, { loading }] = useMutation(UpdateLessonDocument);
  const title = `Урок ${shortDate(lesson.date)}${lesson.lessonNumber ? `, ${lesson.lessonNumber}-й урок` : ""}`;
  const changed = topic !== (lesson.topic ?? "") || homework !== (lesson.homework ?? "");

  async function save(event: FormEvent) {
    event.preventDefault();
    setMessage(null);
    try {
      const { data } = await update({ variables: { input: {
        id: lesson.lessonId, topic, homework, expectedVersion: expected ?? version,
      } } });
      const payload = data?.updateLesson;
      if (!payload) throw new Error("пустой ответ сервера");
      const conflict = payload.errors.find((e) => e.code === "CONFLICT");
      if (conflict) {
        // The stored lesson comes with the grid's next read; saving again writes over it.
        onSaved();
        setExpected(null);
        setConflict(true);
        setMessage({ text: "Урок уже изменил кто-то другой. «Сохранить» ещё раз запишет ваш вариант поверх.", error: true });
        return;
      }
      if (payload.errors.length) {
        setMessage({ text: payload.errors.map((e) => e.message).join("; "), error: true });
        return;
      }
      setConflict(false);
      setExpected(payload.lesson?.version ?? null);
      const late = payload.warnings.map((w) => (w.code === "LATE_ENTRY" ? `Внесено с опозданием: ${w.message}` : w.message));
      setMessage({ text: ["Сохранено.", ...late].join(" "), error: false });
      onSaved();
    } catch (error) {
      setMessage({ text: navigator.onLine ? `Не удалось сохранить: ${(error as Error).message}`
        : "Нет сети: тема и задание сохранятся, когда связь вернётся — нажмите «Сохранить» снова.", error: true });
    }
  }

  return (
    <form className="jr-lesson" aria-label={title} onSubmit={save}>
      <h2>{title}{lesson.status === "CANCELLED" ? " (отменён)" : ""}</h2>
      <p className="jr-note">
        {[lesson.lessonType, lesson.teacher && `${lesson.isSubstitution ? "замена: " : ""}${lesson.teacher}`]
          .filter(Boolean).join(" · ")}
      </p>
      <label>Тема урока
        <input value={topic} maxLength={500} onChange={(e) => setTopic(e.target.value)} />
      </label>
      <label>Домашнее задание
        <textarea value={homework} maxLength={5000} rows={2} onChange={(e) => setHomework(e.target.value)} />
      </label>
      {conflict && (
        <p className="jr-note" aria-label="Сохранено в журнале">В журнале сейчас: тема «{lesson.topic ?? ""}», задание
          «{lesson.homework ?? ""}».</p>
      )}
      <div className="jr-lesson-actions">
        <button type="submit" disabled={loading || !changed}>Сохранить</button>
        {conflict && (
          <button type="button" onClick={() => {
            setTopic(lesson.topic ?? ""); setHomework(lesson.homework ?? ""); setConflict(false); setMessage(null);
          }}>Взять из журнала</button>
        )}
        {message && <p role={message.error ? "alert" : "status"} className={message.error ? "error" : "jr-ok"}>{message.text}</p>}
      </div>
    </form>
  );
}
