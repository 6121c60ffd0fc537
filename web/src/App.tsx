// Routes: /login, then the views the viewer's roles give (the first one is the home page).
import { lazy, Suspense, useEffect, useSyncExternalStore } from "react";
import { Navigate, Route, Routes } from "react-router-dom";
import { useApolloClient } from "@apollo/client/react";
import { onSessionChange, storedTokens } from "./auth/session";
import { useViewer, viewsOf, type View } from "./auth/viewer";
import { LoginPage } from "./auth/LoginPage";
import { Layout } from "./ui/Layout";

// Each view is its own chunk: a parent's phone never downloads the district's charts.
const LOADERS: Record<View, () => Promise<{ default: () => React.JSX.Element }>> = {
  district: () => import("./views/district/DistrictPage").then((m) => ({ default: m.DistrictPage })),
  journal: () => import("./views/journal/JournalPage").then((m) => ({ default: m.JournalPage })),
  diary: () => import("./views/family/FamilyPage").then((m) => ({ default: m.FamilyPage })),
};
const PAGES = Object.fromEntries(Object.entries(LOADERS).map(([view, load]) => [view, lazy(load)])) as
  Record<View, React.LazyExoticComponent<() => React.JSX.Element>>;
const LAST_VIEW = "zhurnal.lastView";

// The view this load will most likely show (the address's, else the last one shown) starts
// downloading now, beside `me`, rather than after it: one round trip less to first content.
const likely = (location.pathname.split("/")[2] || localStorage.getItem(LAST_VIEW)) as View | null;
if (likely && likely in LOADERS) void LOADERS[likely]().catch(() => undefined);

function Remembered({ view }: { view: View }) {
  useEffect(() => { localStorage.setItem(LAST_VIEW, view); }, [view]);
  const Page = PAGES[view];
  return <Page />;
}

export function App() {
  const loggedIn = useSyncExternalStore(onSessionChange, () => storedTokens() !== null);
  const apollo = useApolloClient();
  useEffect(() => { if (!loggedIn) void apollo.clearStore(); }, [loggedIn, apollo]);
  if (!loggedIn) {
    return (
      <Routes>
        <Route path="*" element={<LoginPage />} />
      </Routes>
    );
  }
  return <LoggedIn />;
}

function LoggedIn() {
  const { data, loading, error } = useViewer();
  if (loading) return <p className="status">Загрузка…</p>;
  if (error || !data?.me) return <p className="status error">Не удалось загрузить профиль: {error?.message}</p>;
  const views = viewsOf(data.me);
  return (
    <Layout me={data.me} views={views}>
      <Suspense fallback={<p className="status">Загрузка…</p>}>
      <Routes>
        {views.map((view) => <Route key={view} path={`/${view}/*`} element={<Remembered view={view} />} />)}
        <Route path="*" element={views.length
          ? <Navigate to={`/${views[0]}`} replace />
          : <p className="status">Для этой учётной записи в журнале нет разделов.</p>} />
      </Routes>
      </Suspense>
    </Layout>
  );
}
