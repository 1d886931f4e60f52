/**
 * Receivers as markers: a triangle coloured by health (or outlier), the name beside it. They are
 * buttons, so a keyboard reaches each one (Tab) and a screen reader hears its name and health;
 * `onSelect` (the Localize page picks receivers with it) toggles them.
 */
import { useEffect, useRef } from 'react';
import type { Marker } from 'maplibre-gl';
import { useMapHandle } from '../context';
import { receiverFeatures, type MapReceiver } from '../features';

interface Props {
  receivers: MapReceiver[];
  onSelect?: (id: string) => void;
}

export function describeReceiver(r: MapReceiver): string {
  const state = r.outlier ? `outlier: ${r.reason ?? 'rejected by the estimator'}` : `health: ${r.status}`;
  return `Receiver ${r.name} (${state})${r.selected ? ', selected' : ''}`;
}

const OWN_CLASSES = /^(map-receiver|health-.*|receiver-outlier|selected)$/;

function render(element: HTMLButtonElement, r: MapReceiver, selectable: boolean): void {
  // The engine keeps its own classes on the element (position, anchor): replace only ours.
  [...element.classList].filter((c) => OWN_CLASSES.test(c)).forEach((c) => element.classList.remove(c));
  element.classList.add('map-receiver', `health-${r.health}`, ...(r.outlier ? ['receiver-outlier'] : []), ...(r.selected ? ['selected'] : []));
  element.dataset.receiver = r.id;
  element.title = describeReceiver(r);
  element.setAttribute('aria-label', describeReceiver(r));
  if (selectable) element.setAttribute('aria-pressed', String(Boolean(r.selected)));
  else element.removeAttribute('aria-pressed');
  element.tabIndex = selectable ? 0 : -1;
  const label = element.querySelector('.map-receiver-label');
  if (label) label.textContent = r.name;
}

export function ReceiversLayer({ receivers, onSelect }: Props) {
  const handle = useMapHandle();
  const markers = useRef(new Map<string, { marker: Marker; element: HTMLButtonElement }>());
  const select = useRef(onSelect);
  select.current = onSelect;
  useEffect(() => {
    if (!handle) return undefined;
    const current = markers.current;
    const seen = new Set<string>();
    for (const r of receivers) {
      seen.add(r.id);
      let entry = current.get(r.id);
      if (!entry) {
        const element = document.createElement('button');
        element.type = 'button';
        element.innerHTML = '<span class="map-receiver-icon" aria-hidden="true"></span><span class="map-receiver-label"></span>';
        element.addEventListener('click', (event) => {
          event.stopPropagation();
          select.current?.(element.dataset.receiver ?? '');
        });
        const marker = new handle.engine.Marker({ element, anchor: 'left', offset: [-7, 0] });
        entry = { marker, element };
        current.set(r.id, entry);
        marker.setLngLat([r.lon, r.lat]).addTo(handle.map);
      }
      entry.marker.setLngLat([r.lon, r.lat]);
      render(entry.element, r, Boolean(onSelect));
    }
    for (const [id, entry] of current) {
      if (!seen.has(id)) {
        entry.marker.remove();
        current.delete(id);
      }
    }
    handle.map.getContainer().dataset.receivers = String(current.size);
    handle.exports.set('receivers', receiverFeatures(receivers).features);
  }, [handle, receivers, onSelect]);
  useEffect(() => () => {
    for (const entry of markers.current.values()) entry.marker.remove();
    markers.current.clear();
    handle?.exports.set('receivers', null);
  }, [handle]);
  return null;
}
