// How the selected student's average and suggested grade were computed, on demand
// (`averageExplanation`): the grid already shows both figures, so nothing is asked on load.
import { useState } from "react";
import { useQuery } from "@apollo/client/react";
import { AverageExplanationDocument } from "./documents";

interface Props {
  groupId: string;
  periodId: string;
  studentId: string;
  /** «Фамилия Имя Отчество» of the student. */
  name: string;
}

const REASONS: Record<string, string> = { EXCLUDED: "исключена из среднего", OTHER_PERIOD: "другой период" };

export function AverageDetail(props: Props) {
  const [open, setOpen] = useState(false);
  return (
    <section className="jr-detail" aria-label="Расчёт оценки">
      {open ? <Explanation {...props} /> : (
        <button type="button" onClick={() => setOpen(true)}>Как получена оценка: {props.name}</button>
      )}
    </section>
  );
}

function Explanation({ groupId, periodId, studentId, name }: Props) {
  const { data, loading, error } = useQuery(AverageExplanationDocument, {
    variables: { groupId, periodId, studentId }, fetchPolicy: "network-only",
  });
  const explanation = data?.averageExplanation;
  return (
    <>
      <h2>{name}: средний балл и предварительная оценка</h2>
      {loading && !explanation ? <p>Загрузка…</p>
        : error ? <p className="error" role="alert">Не удалось загрузить: {error.message}</p>
          : !explanation ? <p>Расчёт недоступен.</p> : (
            <>
              <p>{explanation.summary}</p>
              {explanation.marks.length > 0 && (
                <ul>
                  {explanation.marks.map((mark) => (
                    <li key={mark.markId}>
                      {mark.workDate.slice(8, 10)}.{mark.workDate.slice(5, 7)} <b>{mark.label}</b> — {mark.workType} (вес {mark.weight})
                      {mark.counted ? (mark.number != null ? `, в баллах ${mark.number}` : "") : `: не учтена, ${REASONS[mark.reason ?? ""] ?? mark.reason}`}
                    </li>
                  ))}
                </ul>
              )}
            </>
          )}
    </>
  );
}
