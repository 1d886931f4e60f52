import { lazy, Suspense, type ComponentType, type LazyExoticComponent } from 'react';
import { ConnectionIndicator } from '../events/ConnectionIndicator';
import { Link, useRoute } from './router';

// Every page is its own chunk: the map (d3-geo, Natural Earth) and charts (uPlot) load only when visited.
const pages: Record<string, { title: string; component: LazyExoticComponent<ComponentType<{ params: string[] }>> }> = {
  map: { title: 'Map', component: lazy(() => import('../features/map/MapPage')) },
  receivers: { title: 'Receivers & networks', component: lazy(() => import('../features/receivers/ReceiversPage')) },
  datasets: { title: 'Datasets', component: lazy(() => import('../features/datasets/DatasetsPage')) },
  training: { title: 'Training', component: lazy(() => import('../features/training/TrainingPage')) },
  models: { title: 'Models', component: lazy(() => import('../features/models/ModelsPage')) },
  localize: { title: 'Localize', component: lazy(() => import('../features/localization/LocalizePage')) },
};

export function App() {
  const route = useRoute();
  const name = route.page in pages ? route.page : 'map';
  const Page = pages[name].component;
  return (
    <div className="app">
      <header className="app-header">
        <strong className="brand">Heimdall</strong>
        <nav aria-label="Main">
          {Object.entries(pages).map(([key, page]) => (
            <Link key={key} to={[key]} aria-current={key === name ? 'page' : undefined}>
              {page.title}
            </Link>
          ))}
        </nav>
        <ConnectionIndicator />
      </header>
      <main className="app-main">
        <Suspense fallback={<p className="muted">Loading…</p>}>
          <Page params={route.params} />
        </Suspense>
      </main>
    </div>
  );
}
