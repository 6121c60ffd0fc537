// What the outbox holds, in words: a status line (saved, waiting for the network, sending), and
// with `details` the edits that need the teacher — conflicts with both values to choose from,
// refused edits — and the late-entry warnings of accepted ones.
import { useSyncExternalStore } from "react";
import { cellText } from "./cells";
import type { Edit, Outbox } from "./outbox";

function shown(edit: Edit, which: "want" | "stored"): string {
  if (which === "stored") {
    const stored = edit.stored;
    if (!stored) return "";
    return (edit.kind === "marks" ? cellText({ marks: stored.marks, code: null }) : stored.code ?? "") || "пусто";
  }
  return (edit.kind === "marks" ? edit.want.join(" ") : edit.want ?? "присутствовал") || "пусто";
}

const plural = (n: number, one: string, few: string, many: string) =>
  n % 10 === 1 && n % 100 !== 11 ? one : n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 10 || n % 100 >= 20) ? few : many;

export function OutboxPanel({ outbox, details = false, groupId }: { outbox: Outbox; details?: boolean; groupId?: string }) {
  const box = useSyncExternalStore(outbox.subscribe, outbox.snapshot);
  if (!details) {
    const waiting = box.edits.filter((e) => e.state === "pending").length;
    const troubled = box.edits.length - waiting;
    const parts = [
      !box.online ? "Нет сети" : "",
      waiting ? `${box.online ? "отправляется" : "не отправлено"}: ${waiting}` : "",
      troubled ? `требуют решения: ${troubled}` : "",
    ].filter(Boolean);
    const text = parts.length ? parts.join(" · ") : "Все изменения сохранены";
    return (
      <p role="status" aria-label="Очередь изменений" className={`jr-outbox ${parts.length ? "jr-outbox-busy" : ""}`}>
        {text[0].toUpperCase() + text.slice(1)}
      </p>
    );
  }
  const mine = box.edits.filter((e) => e.state !== "pending" && (!groupId || e.groupId === groupId));
  const elsewhere = box.edits.filter((e) => e.state !== "pending" && groupId && e.groupId !== groupId).length;
  if (!mine.length && !box.notices.length && !elsewhere) return null;
  return (
    <div className="jr-outbox-details">
      {mine.map((edit) => {
        const where = `${edit.studentName}, ${edit.lessonLabel}`;
        const what = edit.kind === "marks" ? "отметки" : "посещаемость";
        return edit.state === "conflict" ? (
          <section key={edit.key} role="alert" aria-label={`Конфликт: ${where}`} className="jr-conflict">
            <p>{where}, {what}: клетку изменили, пока вы работали.</p>
            <p>Ваше значение: <b data-testid="yours">{shown(edit, "want")}</b>. В журнале: <b data-testid="stored">{shown(edit, "stored")}</b>.</p>
            <button type="button" onClick={() => outbox.keepMine(edit.key)}>Оставить моё</button>
            <button type="button" onClick={() => outbox.keepStored(edit.key)}>Оставить из журнала</button>
          </section>
        ) : (
          <section key={edit.key} role="alert" aria-label={`Не принято: ${where}`} className="jr-conflict">
            <p>{where}, {what} «{shown(edit, "want")}» не приняты: {edit.message}</p>
            <button type="button" onClick={() => outbox.retry(edit.key)}>Повторить</button>
            <button type="button" onClick={() => outbox.drop(edit.key)}>Отменить правку</button>
          </section>
        );
      })}
      {elsewhere > 0 && <p className="jr-note">В других группах ждут решения правки: {elsewhere}.</p>}
      {box.notices.length > 0 && (
        <section aria-label="Предупреждения" className="jr-notices">
          <h2>{box.notices.length} {plural(box.notices.length, "запись внесена", "записи внесены", "записей внесено")} с опозданием</h2>
          <ul>
            {box.notices.map((notice) => (
              <li key={notice.key} title={notice.detail}>{notice.text}
                <button type="button" className="jr-link" aria-label="Скрыть предупреждение"
                        onClick={() => outbox.dismissNotice(notice.key)}>×</button>
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}
