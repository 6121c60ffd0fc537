// The monthly report (ежемесячный мониторинг) as XLSX and PDF, one click each: fetched with the
// session's token (a link cannot carry the Authorization header), saved under the server's name.
import { useState } from "react";
import { accessToken } from "../../auth/session";
import { monthName } from "./range";

/** The file name of a Content-Disposition header (RFC 6266: filename* first). */
export function attachmentName(header: string | null, fallback: string): string {
  const star = header?.match(/filename\*=UTF-8''([^;]+)/i);
  if (star) return decodeURIComponent(star[1]);
  return header?.match(/filename="([^"]+)"/i)?.[1] ?? fallback;
}

async function download(path: string, fallback: string): Promise<void> {
  const token = await accessToken();
  const response = await fetch(path, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  if (!response.ok) {
    const body = await response.json().catch(() => null) as { message?: string } | null;
    throw new Error(body?.message ?? `Сервер ответил ${response.status}`);
  }
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = attachmentName(response.headers.get("Content-Disposition"), fallback);
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function MonthlyDownloads({ month, municipality }: { month: string; municipality: string | null }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const query = new URLSearchParams({ month });
  if (municipality) query.set("municipality", municipality);

  async function get(kind: "xlsx" | "pdf") {
    setBusy(kind);
    setError(null);
    try {
      await download(`/exports/monthly-report.${kind}?${query}`, `monitoring-${month}.${kind}`);
    } catch (e) {
      setError(`Не удалось скачать отчёт: ${(e as Error).message}`);
    } finally {
      setBusy(null);
    }
  }

  return (
    <section className="district-downloads" aria-labelledby="downloads-title">
      <h2 id="downloads-title">Ежемесячный мониторинг за {monthName(month)}</h2>
      <div className="district-buttons">
        <button type="button" onClick={() => void get("xlsx")} disabled={busy !== null}>
          {busy === "xlsx" ? "Готовится…" : "Скачать XLSX"}
        </button>
        <button type="button" onClick={() => void get("pdf")} disabled={busy !== null}>
          {busy === "pdf" ? "Готовится…" : "Скачать PDF"}
        </button>
      </div>
      {error && <p role="alert" className="error">{error}</p>}
    </section>
  );
}
