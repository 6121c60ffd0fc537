import type { ReactNode } from "react";
import { NavLink } from "react-router-dom";
import { logOut } from "../auth/session";
import type { Me, View } from "../auth/viewer";

const TITLES: Record<View, string> = { district: "Район и область", journal: "Журнал", diary: "Дневник" };

export function Layout({ me, views, children }: { me: Me; views: View[]; children: ReactNode }) {
  return (
    <div className="layout">
      <header>
        <span className="brand">Электронный журнал</span>
        <nav>
          {views.map((view) => <NavLink key={view} to={`/${view}`}>{TITLES[view]}</NavLink>)}
        </nav>
        <span className="who" data-testid="login">{me.login}</span>
        <button type="button" onClick={() => void logOut()}>Выйти</button>
      </header>
      <main>{children}</main>
    </div>
  );
}
