// Starts GraphiQL on the page the server renders at /graphql (development only). Loaded from
// the project like everything else on the page: no inline script, no CDN (issue 17).
(function () {
  "use strict";
  var WELCOME = [
    "# zhurnal GraphiQL: served by this server, works with no internet (development only).",
    "#",
    "# Anonymous: `{ __typename }`. To read as someone, log in (mutation below), then put",
    "# the access token into Headers (bottom panel):",
    "#   {\"Authorization\": \"Bearer <accessToken>\"}",
    "#",
    "# mutation Login {",
    "#   login(input: {login: \"g1.parent\", password: \"demo\"}) {",
    "#     tokens { accessToken } errors { field message }",
    "#   }",
    "# }",
    "#",
    "# Run: Ctrl-Enter. Complete: Ctrl-Space. Docs: the book icon on the left.",
    "",
    "query Me {",
    "  me { login students { student { fullName } schoolClass { name } groups { name } } }",
    "}",
    ""
  ].join("\n");

  var url = window.location.href.split(/[?#]/)[0];
  var socketUrl = url.replace(/^http/, "ws");
  var fetcher = GraphiQL.createFetcher({ url: url, subscriptionUrl: socketUrl });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultQuery: WELCOME,
    defaultEditorToolsVisibility: "headers",
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false
  }));
})();
