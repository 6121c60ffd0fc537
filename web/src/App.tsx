// Routes: /login, then the views the viewer's roles give (the first one is the home page).
import { lazy, Suspense, useEffect, useSyncExternalStore } from "react";
import { Navigate, Route, Routes } from "react-router-dom";
import { useApolloClient } from "@apollo/client/react";
import { onSessionChange, storedTokens } from "./auth/session";
import { useViewer, viewsOf, type View } from "./auth/viewer";
import { LoginPage } from "./auth/LoginPage";
import { Layout } from "./ui/Layout";

// Each view is its own chunk: a parent's phone never downloads the district's charts.
const PAGES: Record<View, React.LazyExoticComponent<() => React.JSX.Element>> = {
  district: lazy(() => import("./views/district/DistrictPage").then((m) => ({ default: m.DistrictPage }))),
  journal: lazy(() => import("./views/journal/JournalPage").then((m) => ({ default: m.JournalPage }))),
  diary: lazy(() => import("./views/family/FamilyPage").then((m) => ({ default: m.FamilyPage }))),
};

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
        {views.map((view) => {
          const Page = PAGES[view];
          return <Route key={view} path={`/${view}/*`} element={<Page />} />;
        })}
        <Route path="*" element={views.length
          ? <Navigate to={`/${views[0]}`} replace />
          : <p className="status">Для этой учётной записи в журнале нет разделов.</p>} />
      </Routes>
      </Suspense>
    </Layout>
  );
}
