import { lazy, Suspense, type ComponentType, type LazyExoticComponent } from 'react';
import { setTheme, useTheme } from '../components/theme';
import { ConnectionIndicator } from '../events/ConnectionIndicator';
import { LoginPage } from '../features/auth/LoginPage';
import { useSignedOut } from '../features/auth/session';
import { UserMenu } from '../features/auth/UserMenu';
import { Link, useRoute } from '../components/router';

// Every page is its own chunk: the map engine (MapLibre) and charts (uPlot) load only when visited.
const pages: Record<string, { title: string; component: LazyExoticComponent<ComponentType<{ params: string[] }>> }> = {
  map: { title: 'Map', component: lazy(() => import('../features/map/MapPage')) },
  receivers: { title: 'Receivers & networks', component: lazy(() => import('../features/receivers/ReceiversPage')) },
  datasets: { title: 'Datasets', component: lazy(() => import('../features/datasets/DatasetsPage')) },
  training: { title: 'Training', component: lazy(() => import('../features/training/TrainingPage')) },
  models: { title: 'Models', component: lazy(() => import('../features/models/ModelsPage')) },
  localize: { title: 'Localize', component: lazy(() => import('../features/localization/LocalizePage')) },
  capture: { title: 'Capture', component: lazy(() => import('../features/capture/CapturePage')) },
  monitor: { title: 'Monitor', component: lazy(() => import('../features/monitor/MonitorPage')) },
};

function ThemeToggle() {
  const theme = useTheme();
  const next = theme === 'dark' ? 'light' : 'dark';
  return (
    <button type="button" className="theme-toggle" aria-pressed={theme === 'dark'} onClick={() => setTheme(next)}
      title={`Switch to the ${next} theme`}>
      Dark theme
    </button>
  );
}

export function App() {
  const route = useRoute();
  const signedOut = useSignedOut();
  const name = route.page in pages ? route.page : 'map';
  const Page = pages[name].component;
  if (signedOut) {
    return (
      <div className="app">
        <header className="app-header"><strong className="brand">Heimdall</strong><ThemeToggle /></header>
        <main className="app-main" id="main" tabIndex={-1}>
          <h1 className="page-title">Sign in</h1>
          <LoginPage />
        </main>
      </div>
    );
  }
  return (
    <div className="app">
      <a className="skip-link" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to the page
      </a>
      <header className="app-header">
        <strong className="brand">Heimdall</strong>
        <nav aria-label="Main">
          {Object.entries(pages).map(([key, page]) => (
            <Link key={key} to={[key]} aria-current={key === name ? 'page' : undefined}>
              {page.title}
            </Link>
          ))}
        </nav>
        <ThemeToggle />
        <ConnectionIndicator />
        <UserMenu />
      </header>
      <main className="app-main" id="main" tabIndex={-1}>
        <h1 className="page-title">{pages[name].title}</h1>
        <Suspense fallback={<p className="muted">Loading…</p>}>
          <Page params={route.params} />
        </Suspense>
      </main>
    </div>
  );
}
