/** The tab's one EventClient, created on first use and never again (CONTRACT §3: one /ws per tab). */
import { EventClient } from './client';

let instance: EventClient | null = null;

export function defaultEventsUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}/ws`;
}

export function getEventClient(): EventClient {
  if (!instance) instance = new EventClient({ url: defaultEventsUrl() });
  return instance;
}
