/**
 * The map engine (MapLibre GL JS), loaded on first use: it is the largest dependency of the app and
 * only map pages need it, so it is a chunk of its own and never part of the initial JavaScript.
 * MapLibre 6 starts its tile worker from a module next to its own file; Vite needs that file named
 * explicitly to emit it, hence the `?url` import and `setWorkerUrl`.
 */
export type Engine = typeof import('maplibre-gl');

let pending: Promise<Engine> | null = null;

export function loadEngine(): Promise<Engine> {
  if (!pending) {
    pending = Promise.all([
      import('maplibre-gl'),
      import('maplibre-gl/dist/maplibre-gl-worker.mjs?url'),
      import('maplibre-gl/dist/maplibre-gl.css'),
    ]).then(([engine, worker]) => {
      engine.setWorkerUrl(worker.default);
      // One tile worker: this app's sources are a few GeoJSON layers and one raster base layer, and
      // each extra worker costs a module parse at start-up on a small machine.
      engine.setWorkerCount(1);
      // Start the worker now (its module is half a megabyte to parse), while the page is still
      // mounting, rather than when the first map is created.
      engine.prewarm();
      return engine;
    });
    pending.catch(() => {
      pending = null;
    });
  }
  return pending;
}
