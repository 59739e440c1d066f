// The generated types in use (kaohe.ts, made by `npm run generate`): a typed request for the operation `Units`
// of client/operations/units.graphql and a typed reading of its answer. `npm run check` compiles it strictly;
// tests/client/test_typescript.py runs both and then runs it against a gateway.
import type { UnitsQuery, UnitsQueryVariables } from "./kaohe";

export async function units(gateway: string, token: string, variables: UnitsQueryVariables): Promise<string[]> {
  const query = `query Units($parentId: ID, $first: Int, $after: String) {
    units(parentId: $parentId, first: $first, after: $after) { totalCount nodes { id name path } }
  }`;
  const response = await fetch(`${gateway}/graphql`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const answer = (await response.json()) as { data?: UnitsQuery; errors?: { message: string }[] };
  if (answer.errors?.length) {
    throw new Error(answer.errors.map((error) => error.message).join("; "));
  }
  return (answer.data?.units?.nodes ?? []).map((unit) => `${unit.path}\t${unit.name}`);
}

declare const process: { env: Record<string, string | undefined> };  // Node's, without its type package
const [gateway, token] = [process.env.KAOHE_GATEWAY_URL, process.env.KAOHE_TOKEN];
if (gateway && token) {
  units(gateway, token, { first: 100 }).then((lines) => console.log(lines.join("\n")));
}
