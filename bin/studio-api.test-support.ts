/** What a test needs of a running studio to call its API: its URL and its token. */
export interface StudioAddress {
  url: string;
  token: string;
}

/**
 * A JSON call to a studio's API with its token, answering the status and the parsed body; shared
 * by the CLI's server tests so each does not carry its own copy.
 *
 * @example const call = studioApi(server); (await call("GET", "/api/jobs")).status
 */
export function studioApi(server: StudioAddress) {
  return async (method: string, path: string, json?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { "x-infix-token": server.token, "content-type": "application/json" },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    return { status: res.status, data: (await res.json()) as Record<string, unknown> };
  };
}
