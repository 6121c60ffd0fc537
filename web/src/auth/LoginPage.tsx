import { useState, type FormEvent } from "react";
import { logIn } from "./session";

export function LoginPage() {
  const [login, setLogin] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setError(await logIn(login.trim(), password));
    } catch (e) {
      setError(navigator.onLine ? String((e as Error).message) : "Нет связи с сервером");
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="login">
      <form onSubmit={submit} aria-label="Вход">
        <h1>Электронный журнал</h1>
        <label>Логин<input name="login" autoComplete="username" value={login}
          onChange={(e) => setLogin(e.target.value)} required /></label>
        <label>Пароль<input name="password" type="password" autoComplete="current-password"
          value={password} onChange={(e) => setPassword(e.target.value)} required /></label>
        {error && <p role="alert" className="error">{error}</p>}
        <button type="submit" disabled={busy}>Войти</button>
      </form>
    </main>
  );
}
