import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { makeQueryClient } from './app/queryClient';
import { parseHash } from './app/router';
import './app/styles.css';
import { connectCache } from './events/cacheSync';
import { getEventClient } from './events/singleton';
import basemapUrl from 'world-atlas/countries-110m.json?url';

// The map page (the default one) needs the 1:110m outlines as soon as its chunk arrives: start
// downloading them now, in parallel with that chunk; the map's own fetch then finds them in the HTTP
// cache. Only on that page: Chromium warns about a preload left unused.
if (['', 'map'].includes(parseHash(window.location.hash).page)) {
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
