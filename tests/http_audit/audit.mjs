// Run the GraphQL-over-HTTP reference audit (graphql-http's serverAudits) against a gateway URL, one audit at a
// time, and print the results as one JSON array: [{id, name, status: "ok" | "warn" | "error", reason}].
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs http://127.0.0.1:8000/graphql');
  process.exit(2);
}
const results = [];
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  results.push({ id: result.id, name: result.name, status: result.status, reason: result.reason ?? null });
}
console.log(JSON.stringify(results));
