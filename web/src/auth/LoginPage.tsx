import { useState, type FormEvent } from "react";
import { logIn, logInWithToken } from "./session";

export function LoginPage() {
  const [login, setLogin] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [byToken, setByToken] = useState(false);
  const [token, setToken] = useState("");

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setError(byToken ? await logInWithToken(token.trim()) : await logIn(login.trim(), password));
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
        {byToken ? (
          <label>Токен интегратора<input name="token" type="password" autoComplete="off" value={token}
            onChange={(e) => setToken(e.target.value)} required /></label>
        ) : (<>
          <label>Логин<input name="login" autoComplete="username" value={login}
            onChange={(e) => setLogin(e.target.value)} required /></label>
          <label>Пароль<input name="password" type="password" autoComplete="current-password"
            value={password} onChange={(e) => setPassword(e.target.value)} required /></label>
        </>)}
        {error && <p role="alert" className="error">{error}</p>}
        <button type="submit" disabled={busy}>Войти</button>
        {/* Not named «Войти…»: the submit button keeps the only such name. */}
        <button type="button" className="link" onClick={() => { setByToken(!byToken); setError(null); }}>
          {byToken ? "По логину и паролю" : "По токену интегратора (read_aggregates)"}
        </button>
      </form>
    </main>
  );
}
