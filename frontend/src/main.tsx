import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { makeQueryClient } from './app/queryClient';
import './app/styles.css';
import { connectCache } from './events/cacheSync';
import { getEventClient } from './events/singleton';

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
