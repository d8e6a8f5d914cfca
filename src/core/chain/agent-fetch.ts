import https from "node:https";

/**
 * A fetch for viem's HTTP transport over node's https with `agent`: Node's built-in fetch cannot
 * present a TLS client certificate, an https.Agent can (`pfx` + `passphrase`). Only what the
 * transport uses: method, headers, a string body, the abort signal of its deadline.
 */
export function agentFetch(agent: https.Agent): typeof fetch {
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const url = input instanceof Request ? input.url : String(input);
      const headers: Record<string, string> = {};
      new Headers(init?.headers).forEach((value, key) => (headers[key] = value));
      const request = https.request(
        url,
        { method: init?.method ?? "POST", headers, agent, signal: init?.signal ?? undefined },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("error", reject);
          response.on("end", () => {
            const answerHeaders = new Headers();
            for (const [key, value] of Object.entries(response.headers)) {
              if (value !== undefined) answerHeaders.set(key, String(value));
            }
            resolve(
              new Response(Buffer.concat(chunks), {
                status: response.statusCode ?? 502,
                statusText: response.statusMessage,
                headers: answerHeaders,
              }),
            );
          });
        },
      );
      request.on("error", reject);
      request.end(typeof init?.body === "string" ? init.body : undefined);
    });
}
