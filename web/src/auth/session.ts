// The session: the token pair from `login`, kept in localStorage so a reload stays logged in,
// refreshed shortly before the access token expires (one refresh at a time per tab; the server
// gives two tabs refreshing at once the same new pair).
import { print } from "graphql";
import { graphql } from "../gql";
import type { AuthTokens } from "../gql/graphql";

const KEY = "zhurnal.session";
const EARLY_MS = 60_000;

type Tokens = Pick<AuthTokens, "accessToken" | "accessTokenExpiresAt" | "refreshToken">;

export const LoginMutation = graphql(`
  mutation Login($input: LoginInput!) {
    login(input: $input) {
      tokens { accessToken accessTokenExpiresAt refreshToken }
      errors { field code message }
    }
  }
`);

const RefreshMutation = graphql(`
  mutation Refresh($input: RefreshTokenInput!) {
    refreshToken(input: $input) {
      tokens { accessToken accessTokenExpiresAt refreshToken }
      errors { field code message }
    }
  }
`);

const TokenScopesQuery = graphql(`
  query TokenScopes { me { tokenScopes } }
`);

// An integrator token is kept as the access token with no refresh token: it has nothing to
// refresh with, and the server refuses it once revoked or expired.
const NEVER = "9999-12-31T23:59:59Z";

const LogoutMutation = graphql(`
  mutation Logout($input: LogoutInput!) { logout(input: $input) { revoked } }
`);

const listeners = new Set<() => void>();

export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function storedTokens(): Tokens | null {
  const raw = localStorage.getItem(KEY);
  return raw ? (JSON.parse(raw) as Tokens) : null;
}

export function saveTokens(tokens: Tokens | null): void {
  if (tokens) localStorage.setItem(KEY, JSON.stringify(tokens));
  else localStorage.removeItem(KEY);
  listeners.forEach((listener) => listener());
}

async function post<T>(query: string, variables: object, token?: string): Promise<T> {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors?.length) throw new Error(body.errors[0].message);
  return body.data as T;
}

/** Log in; resolves to the error message to show, or null when logged in. */
export async function logIn(login: string, password: string): Promise<string | null> {
  const data = await post<{ login: { tokens: Tokens | null; errors: { message: string }[] } }>(
    print(LoginMutation), { input: { login, password } });
  if (!data.login.tokens) return data.login.errors[0]?.message ?? "Не удалось войти";
  saveTokens(data.login.tokens);
  return null;
}

/** Log in with an integrator token that may read aggregates (the district view); resolves
 * to the error message to show, or null when logged in. */
export async function logInWithToken(secret: string): Promise<string | null> {
  const data = await post<{ me: { tokenScopes: string[] | null } }>(print(TokenScopesQuery), {}, secret)
    .catch(() => null);
  if (!data?.me.tokenScopes?.includes("READ_AGGREGATES")) {
    return "Токен не подходит: нужен действующий токен интегратора с правом read_aggregates";
  }
  saveTokens({ accessToken: secret, accessTokenExpiresAt: NEVER, refreshToken: "" });
  return null;
}

let refreshing: Promise<string | null> | null = null;

/** A valid access token (refreshed when it is about to expire), or null when logged out. */
export async function accessToken(): Promise<string | null> {
  const tokens = storedTokens();
  if (!tokens) return null;
  if (Date.parse(tokens.accessTokenExpiresAt) - Date.now() > EARLY_MS) return tokens.accessToken;
  refreshing ??= refresh(tokens).finally(() => { refreshing = null; });
  return refreshing;
}

async function refresh(tokens: Tokens): Promise<string | null> {
  try {
    const data = await post<{ refreshToken: { tokens: Tokens | null } }>(
      print(RefreshMutation), { input: { refreshToken: tokens.refreshToken } });
    saveTokens(data.refreshToken.tokens);
    return data.refreshToken.tokens?.accessToken ?? null;
  } catch (error) {
    // Offline: keep the session; the request fails and is retried (journal edits are queued).
    if (!navigator.onLine) return tokens.accessToken;
    throw error;
  }
}

export async function logOut(): Promise<void> {
  const tokens = storedTokens();
  if (tokens?.refreshToken) {
    await post(print(LogoutMutation), { input: { refreshToken: tokens.refreshToken } })
      .catch(() => undefined);
  }
  saveTokens(null);
}
