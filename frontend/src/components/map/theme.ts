/** Map colours per theme: the offline basemap and the app's layers (receivers by health, fixes, overlays). */
import type { Theme } from '../theme';

export type { Theme };

export interface Palette {
  sea: string;
  land: string;
  coast: string;
  border: string;
  fix: string;
  ellipse: string;
  bearing: string;
  tdoa: string;
  rss: string;
  toa: string;
  outlier: string;
  track: string;
  measure: string;
  halo: string;
}

const LIGHT: Palette = {
  sea: '#cfdfee', land: '#f4f1ea', coast: '#a9a191', border: '#b6ad9b',
  fix: '#c53030', ellipse: '#c53030', bearing: '#b7791f', tdoa: '#6b46c1', rss: '#2c7a7b', toa: '#2b6cb0',
  outlier: '#718096', track: '#2d3748', measure: '#1a202c', halo: '#ffffff',
};

const DARK: Palette = {
  sea: '#0b1622', land: '#1e2a36', coast: '#3b4a5a', border: '#4a5a6b',
  fix: '#fc8181', ellipse: '#fc8181', bearing: '#f6ad55', tdoa: '#b794f4', rss: '#4fd1c5', toa: '#63b3ed',
  outlier: '#a0aec0', track: '#e2e8f0', measure: '#f7fafc', halo: '#0b1622',
};

export function palette(theme: Theme): Palette {
  return theme === 'dark' ? DARK : LIGHT;
}

/** Receiver health (docs/frontend.md, "Receiver health"): the CSS class of each state carries its colour. */
export type Health = 'ok' | 'degraded' | 'down' | 'unknown' | 'disabled';
