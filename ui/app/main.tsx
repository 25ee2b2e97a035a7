/**
 * The viewer page: a hash router over two pages — the instance list (`#/?status=failed…`) and one
 * instance (`#/instances/<id>`). Preact renders everything as text nodes (escaped), never HTML
 * strings: ids, names, payloads, errors and log lines from instances are shown as they are.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Capabilities } from '../types.ts';
import { api } from './api.ts';
import { InstancePage } from './instance.tsx';
import { ListPage } from './list.tsx';
import { parseRoute, type Route } from './routes.ts';
import './style.css';

function App() {
  const [route, setRoute] = useState<Route>(parseRoute(location.hash));
  const [caps, setCaps] = useState<Capabilities>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', on);
    api.capabilities().then(setCaps, (e: Error) => setError(e.message));
    return () => removeEventListener('hashchange', on);
  }, []);
  return (
    <>
      <header class="top">
        <a class="brand" href="#/">
          currant
        </a>
        {caps && (
          <span class="source" title={caps.source}>
            {caps.mode === 'api' ? 'API ' : 'database '}
            <code>{caps.source}</code>
          </span>
        )}
      </header>
      <main>
        {error && <p class="error">cannot reach the viewer's server: {error}</p>}
        {caps && (route.page === 'list' ? <ListPage caps={caps} query={route.query} /> : <InstancePage caps={caps} id={route.id} key={route.id} />)}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
