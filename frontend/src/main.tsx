import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { makeQueryClient } from './app/queryClient';
import { parseHash } from './components/router';
import './app/styles.css';
import { applyTheme } from './components/theme';
import { connectCache } from './events/cacheSync';
import { getEventClient } from './events/singleton';
import basemapUrl from 'world-atlas/countries-110m.json?url';
import { loadEngine } from './components/map/engine';

applyTheme();

// A map page opened directly needs the map engine and the 1:110m outlines as soon as its chunk
// arrives: start both downloads now, in parallel with the page's chunk (the engine's import is
// shared, the outlines' fetch then comes from the HTTP cache). Only there: Chromium warns about a
// preload left unused.
if (['', 'map', 'localize'].includes(parseHash(window.location.hash).page)) {
  void loadEngine();
  const preload = document.createElement('link');
  preload.rel = 'preload';
  preload.as = 'fetch';
  preload.crossOrigin = 'anonymous';
  preload.href = basemapUrl;
  document.head.appendChild(preload);
}

const queryClient = makeQueryClient();
const events = getEventClient();
connectCache(events, queryClient);
events.start();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
