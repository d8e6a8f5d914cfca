/**
 * URLs as the tool shows them: RPC and signer URLs often carry an API key in their path, query or
 * user info, so only the scheme, host and port are ever printed. No dependencies: the error
 * reporting (src/cli/run.ts) uses it too.
 */

/** Keeps scheme, host and port; hides the path, query and user info, which may hold API keys. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const hidden = parsed.pathname.length > 1 || parsed.search !== "" || parsed.username !== "";
    return `${parsed.protocol}//${parsed.host}${hidden ? "/…" : ""}`;
  } catch {
    return "<invalid URL>";
  }
}

/** Every http(s) or ws(s) URL in `text` through redactUrl (errors' messages quote them). */
export function redactUrlsIn(text: string): string {
  return text.replace(/\b(https?|wss?):\/\/[^\s"'()<>,]+/g, (url, scheme: string) => {
    const shown = redactUrl(url);
    return shown === "<invalid URL>" ? `${scheme}://…` : shown;
  });
}
