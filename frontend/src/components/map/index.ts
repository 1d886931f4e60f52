/** The map and its reusable layers (the Map, Localize, Capture and Monitor pages share them). */
export { MapView } from './MapView';
export { ReceiversLayer } from './layers/ReceiversLayer';
export { FixesLayer } from './layers/FixesLayer';
export { OverlaysLayer } from './layers/OverlaysLayer';
export { HeatLayer } from './layers/HeatLayer';
export { TrackLayer } from './layers/TrackLayer';
export { BearingsLayer } from './layers/BearingsLayer';
export type { MapBearing } from './bearings';
export { HeatLegend, HealthLegend } from './HeatLegend';
export { boundsOfFeatures, receiverHealth, toMapReceiver, type MapFix, type MapReceiver } from './features';
export type { HeatGrid } from './heat';
