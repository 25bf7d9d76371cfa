// The dashboard's calls to the api that may carry the operator token (the operations and alerts
// panels; the Kafka console sends its own field's token).

/**
 * A JSON call to the api carrying the operator token typed in the Kafka console's field (or kept
 * for the tab's session) when there is one; throws `code: message` from the api's error body.
 * A 204 answers undefined.
 *
 * @example
 *   await callApi("/v1/backfills", { method: "POST", body: JSON.stringify(request) });
 */
export async function callApi<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (init.method && init.method !== "GET") headers["content-type"] = "application/json";
  const token =
    (document.getElementById("operator-token") as HTMLInputElement | null)?.value ||
    sessionStorage.getItem("operatorToken");
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(path, { ...init, headers });
  if (response.status === 204) return undefined as T;
  const answer = (await response.json()) as T & { error?: { code: string; message: string } };
  if (!response.ok)
    throw new Error(
      answer.error ? `${answer.error.code}: ${answer.error.message}` : `${response.status}`,
    );
  return answer;
}
