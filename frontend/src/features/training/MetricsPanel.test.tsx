import { act, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connectCache } from '../../events/cacheSync';
import { envelope, FakeWebSocket, flushMicrotasks, makeClient } from '../../test/fakeSocket';
import { renderWithProviders, stubFetch, testQueryClient } from '../../test/render';
import { appendRows, emptyColumns, needsRebuild, CHARTS } from './chartData';
import { MetricsPanel } from './MetricsPanel';

// jsdom has no canvas: record what the chart is given instead of drawing it.
const plots = vi.hoisted(() => [] as { data: unknown[][]; setDataCalls: number }[]);
vi.mock('uplot', () => ({
  default: class FakePlot {
    record: { data: unknown[][]; setDataCalls: number };
    constructor(_opts: unknown, data: unknown[][]) {
      this.record = { data, setDataCalls: 0 };
      plots.push(this.record);
    }
    setData(data: unknown[][]) {
      this.record.data = data;
      this.record.setDataCalls += 1;
    }
    setSize() {}
    destroy() {}
  },
}));

beforeEach(() => {
  plots.length = 0;
  FakeWebSocket.reset();
});
afterEach(() => vi.unstubAllGlobals());

describe('MetricsPanel', () => {
  it('draws the history, then appends each job.metrics epoch once', async () => {
    vi.stubGlobal('fetch', stubFetch({
      'GET /jobs/j1/metrics': { body: { items: [{ epoch: 1, metrics: { train_loss: 2, val_loss: 2.5, lr: 1e-3 } }], total: 1 } },
    }).fetchMock);
    const cache = testQueryClient();
    const events = makeClient();
    connectCache(events, cache);
    events.start();
    FakeWebSocket.last.open();
    renderWithProviders(<MetricsPanel jobId="j1" />, { cache, events });
    const loss = await screen.findByTestId('chart-Loss');
    await waitFor(() => expect(loss.dataset.points).toBe('1'));
    expect(plots).toHaveLength(CHARTS.length);

    const socket = FakeWebSocket.last;
    await act(async () => {
      socket.receive(envelope(21, 'job.metrics', 'job:j1', { epoch: 2, train_loss: 1.5, val_loss: 1.9, lr: 9e-4 }));
      socket.receive(envelope(21, 'job.metrics', 'job:j1', { epoch: 2, train_loss: 1.5, val_loss: 1.9, lr: 9e-4 }));
      socket.receive(envelope(22, 'job.metrics', 'job:j1', { epoch: 1, train_loss: 2 })); // replay of a known epoch
      socket.receive(envelope(23, 'job.metrics', 'job:j1', { epoch: 3, train_loss: 1.1, val_loss: 1.4, lr: 8e-4 }));
      await flushMicrotasks();
    });
    await waitFor(() => expect(loss.dataset.points).toBe('3'));
    const lossPlot = plots[0];
    expect(lossPlot.data).toEqual([[1, 2, 3], [2, 1.5, 1.1], [2.5, 1.9, 1.4]]);
    const lrPlot = plots[CHARTS.findIndex((c) => c.title === 'Learning rate')];
    expect(lrPlot.data).toEqual([[1, 2, 3], [1e-3, 9e-4, 8e-4]]);
    events.close();
  });
});

describe('chart columns', () => {
  const specs = [{ label: 'loss', keys: ['train_loss'] }];

  it('appends only epochs it has not drawn', () => {
    const columns = emptyColumns(specs);
    expect(appendRows(columns, [{ epoch: 1, train_loss: 3 }, { epoch: 2, train_loss: 2 }], specs)).toBe(2);
    expect(appendRows(columns, [{ epoch: 1, train_loss: 3 }, { epoch: 2, train_loss: 2 }, { epoch: 3, train_loss: 1 }], specs)).toBe(1);
    expect(columns).toEqual({ epochs: [1, 2, 3], series: [[3, 2, 1]] });
  });

  it('stays cheap for 1,000 epochs x 10 metrics fed one epoch at a time', () => {
    const many = Array.from({ length: 10 }, (_, i) => ({ label: `m${i}`, keys: [`m${i}`] }));
    const rows = Array.from({ length: 1000 }, (_, e) => Object.fromEntries([['epoch', e], ...many.map((s, i) => [s.keys[0], e * i])]));
    const columns = emptyColumns(many);
    let appended = 0;
    for (let n = 1; n <= rows.length; n += 1) appended += appendRows(columns, rows.slice(Math.max(0, n - 2), n) as never, many);
    expect(appended).toBe(1000);
    expect(columns.series[9][999]).toBe(999 * 9);
  });

  it('rebuilds when the history no longer extends what is drawn', () => {
    const columns = emptyColumns(specs);
    appendRows(columns, [{ epoch: 1, train_loss: 3 }, { epoch: 2, train_loss: 2 }], specs);
    expect(needsRebuild(columns, [{ epoch: 1, train_loss: 3 }, { epoch: 2, train_loss: 2 }, { epoch: 3 }])).toBe(false);
    expect(needsRebuild(columns, [{ epoch: 1, train_loss: 3 }])).toBe(true);
  });
});
