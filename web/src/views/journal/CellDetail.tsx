// The detail of the selected cell on demand (`journalCell`): each mark's work type, weight,
// comment and times, and the attendance entry — what the grid's compact cells leave out.
import { useState } from "react";
import { useQuery } from "@apollo/client/react";
import { CellDocument } from "./documents";

interface Props {
  groupId: string;
  lessonId: string;
  studentId: string;
  /** «Фамилия Имя Отчество, dd.mm» of the cell. */
  name: string;
}

const when = (iso: string) => new Date(iso).toLocaleString("ru-RU", { dateStyle: "short", timeStyle: "short" });

export function CellDetail(props: Props) {
  const [open, setOpen] = useState(false);
  return (
    <section className="jr-detail" aria-label="Подробности клетки">
      {open ? <Detail {...props} /> : (
        <button type="button" onClick={() => setOpen(true)}>Подробно о клетке: {props.name}</button>
      )}
    </section>
  );
}

function Detail({ groupId, lessonId, studentId, name }: Props) {
  const { data, loading, error } = useQuery(CellDocument, {
    variables: { groupId, lessonId, studentId }, fetchPolicy: "network-only",
  });
  const cell = data?.journalCell;
  return (
    <>
      <h2>{name}</h2>
      {loading && !cell ? <p>Загрузка…</p>
        : error ? <p className="error" role="alert">Не удалось загрузить: {error.message}</p>
          : !cell ? <p>Клетка недоступна.</p>
            : !cell.marks.length && !cell.attendance ? <p>Пусто: отметок нет, ученик присутствовал.</p> : (
              <ul>
                {cell.marks.map((mark) => (
                  <li key={mark.markId}>
                    <b>{mark.label}</b> — {mark.workType} (вес {mark.weight}), внесено {when(mark.enteredAt)}
                    {mark.comment ? `; комментарий: ${mark.comment}` : ""}
                  </li>
                ))}
                {cell.attendance && (
                  <li>
                    <b>{cell.attendance.code}</b>
                    {cell.attendance.lateMinutes ? ` — опоздание ${cell.attendance.lateMinutes} мин` : ""}, внесено{" "}
                    {when(cell.attendance.enteredAt)}
                  </li>
                )}
              </ul>
            )}
    </>
  );
}
