// The graphql-http audit (npm graphql-http, auditServer) against a running zhurnal server:
// every audit of the GraphQL over HTTP spec, printed as one JSON array on stdout
// ([{id, name, status, reason?, responseStatus?}]) for tests/system/test_graphql_http_audit.py
// to judge. Usage: node clients/graphql-http-audit.mjs http://127.0.0.1:PORT/graphql
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node clients/graphql-http-audit.mjs <graphql endpoint url>');
  process.exit(2);
}

const results = await auditServer({ url });
const plain = await Promise.all(results.map(async (r) => {
  const out = { id: r.id, name: r.name, status: r.status };
  if (r.status !== 'ok') {
    out.reason = r.reason;
    out.responseStatus = r.response?.status ?? null;
  }
  return out;
}));
process.stdout.write(JSON.stringify(plain));
