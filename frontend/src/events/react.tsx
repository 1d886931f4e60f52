/** React bindings of the event client: context, topic subscriptions, connection state. */
import { createContext, useContext, useEffect, useSyncExternalStore, type ReactNode } from 'react';
import type { EventClient } from './client';
import { getEventClient } from './singleton';
import type { ConnectionState } from './types';

const EventClientContext = createContext<EventClient | null>(null);

export function EventClientProvider({ client, children }: { client: EventClient; children: ReactNode }) {
  return <EventClientContext.Provider value={client}>{children}</EventClientContext.Provider>;
}

export function useEventClient(): EventClient {
  return useContext(EventClientContext) ?? getEventClient();
}

/**
 * Hold `topics` while the calling component is mounted. Subscriptions are reference-counted by the
 * client, so many components may ask for the same topic over the one socket.
 */
export function useTopics(topics: readonly (string | null | undefined | false)[]): void {
  const client = useEventClient();
  const key = topics.filter(Boolean).join('\n');
  useEffect(() => {
    if (!key) return undefined;
    const releases = key.split('\n').map((topic) => client.subscribe(topic));
    return () => releases.forEach((release) => release());
  }, [client, key]);
}

export function useConnectionState(): ConnectionState {
  const client = useEventClient();
  return useSyncExternalStore(
    (notify) => client.onStateChange(notify),
    () => client.getState(),
  );
}
