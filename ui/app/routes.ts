/** The page's two routes in the URL's hash: `#/?status=…` (list) and `#/instances/<id>`. Pure. */
export type Route = { page: 'list'; query: URLSearchParams } | { page: 'instance'; id: string };

export function parseRoute(hash: string): Route {
  const h = hash.replace(/^#/, '') || '/';
  const m = /^\/instances\/([^?]*)/.exec(h);
  if (m) {
    try {
      return { page: 'instance', id: decodeURIComponent(m[1]!) };
    } catch {
      return { page: 'list', query: new URLSearchParams() };
    }
  }
  const q = h.indexOf('?');
  return { page: 'list', query: new URLSearchParams(q >= 0 ? h.slice(q + 1) : '') };
}

export const instanceHref = (id: string) => `#/instances/${encodeURIComponent(id)}`;
