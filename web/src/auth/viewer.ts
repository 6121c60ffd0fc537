// Who is logged in and which views they have; the role decides the first page.
import { useQuery } from "@apollo/client/react";
import { graphql } from "../gql";
import type { ViewerQuery } from "../gql/graphql";

export const ViewerDocument = graphql(`
  query Viewer {
    me {
      id
      login
      officerRegion
      officerMunicipalities { id name }
      tokenScopes
      schools { school { id name } roles }
      students { student { id } }
    }
  }
`);

export type Me = NonNullable<ViewerQuery["me"]>;
export type View = "district" | "journal" | "diary";

export function viewsOf(me: Me): View[] {
  const views: View[] = [];
  if (me.officerRegion || me.officerMunicipalities.length > 0
      || me.tokenScopes?.includes("READ_AGGREGATES")) views.push("district");
  if (me.schools.some((s) => s.roles.includes("TEACHER") || s.roles.includes("ADMINISTRATOR"))) {
    views.push("journal");
  }
  if (me.students.length > 0) views.push("diary");
  return views;
}

export function useViewer() {
  return useQuery(ViewerDocument);
}
