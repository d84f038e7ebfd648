/** URL stripping: query strings and fragments leave the page only for allowlisted parameters. */

/** The URL without its fragment and with only the allowed query parameters; '' for a URL that does not parse. */
export function stripUrl(href: string, allowedParams: readonly string[]): string {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return '';
  }
  const kept = new URLSearchParams();
  for (const name of allowedParams) for (const value of url.searchParams.getAll(name)) kept.append(name, value);
  const query = kept.toString();
  return url.origin + url.pathname + (query ? `?${query}` : '');
}
