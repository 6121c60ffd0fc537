// What the figures cover: a month, a school period or a range of days; a grade level; a
// municipality (when the reach has several).
import { useState } from "react";
import type { Mode, Selection } from "./range";

const MODES: [Mode, string][] = [["month", "Месяц"], ["period", "Учебный период"], ["range", "Даты"]];

export function Controls({ selection, update, municipalities, municipalityId, periodNames, periodName,
  periodsLoading }: {
  selection: Selection;
  update: (patch: Partial<Selection>) => void;
  municipalities: [string, string][];
  municipalityId: string | null;
  periodNames: [string, string][]; // [scheme, label] in calendar order
  periodName: string;
  periodsLoading: boolean;
}) {
  const periodValue = periodNames.map(([, label]) => label)
    .find((label) => label === periodName || label.startsWith(`${periodName} (`)) ?? "";
  const schemes = [...new Set(periodNames.map(([scheme]) => scheme))];
  // Dates are applied together by «Показать»: each typed day would otherwise ask the server.
  const [from, setFrom] = useState(selection.from);
  const [to, setTo] = useState(selection.to);
  return (
    <form className="district-controls" aria-label="Выбор показателей"
      onSubmit={(e) => { e.preventDefault(); update({ from, to }); }}>
      <fieldset>
        <legend>Показатели за</legend>
        <div className="district-modes" role="radiogroup" aria-label="Показатели за">
          {MODES.map(([mode, label]) => (
            <label key={mode}>
              <input type="radio" name="mode" value={mode} checked={selection.mode === mode}
                onChange={() => update({ mode })} />
              {label}
            </label>
          ))}
        </div>
        {selection.mode === "month" && (
          <label>Месяц
            <input type="month" value={selection.month} required
              onChange={(e) => e.target.value && update({ month: e.target.value })} />
          </label>
        )}
        {selection.mode === "period" && (
          <label>Период
            <select aria-label="Период" value={periodValue} disabled={periodsLoading || !periodNames.length}
              onChange={(e) => update({ period: e.target.value.replace(/ \(.*\)$/, "") })}>
              {periodsLoading && <option value="">Загрузка…</option>}
              {schemes.map((scheme) => (
                <optgroup key={scheme} label={scheme}>
                  {periodNames.filter(([s]) => s === scheme).map(([, label]) =>
                    <option key={label} value={label}>{label}</option>)}
                </optgroup>
              ))}
            </select>
          </label>
        )}
        {selection.mode === "range" && (
          <span className="district-range">
            <label>С <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} /></label>
            <label>По <input type="date" value={to} onChange={(e) => setTo(e.target.value)} /></label>
            <button type="submit">Показать</button>
          </span>
        )}
      </fieldset>
      <label>Параллель
        <select aria-label="Параллель" value={selection.grade ?? ""} onChange={(e) => update({ grade: Number(e.target.value) || null })}>
          <option value="">Все параллели</option>
          {Array.from({ length: 11 }, (_, i) => i + 1).map((g) => <option key={g} value={g}>{g} классы</option>)}
        </select>
      </label>
      {municipalities.length > 1 && (
        <label>Муниципалитет
          <select aria-label="Муниципалитет" value={municipalityId ?? ""} onChange={(e) => update({ municipalityId: e.target.value || null })}>
            <option value="">Все муниципалитеты</option>
            {municipalities.map(([id, name]) => <option key={id} value={id}>{name}</option>)}
          </select>
        </label>
      )}
    </form>
  );
}
