import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, buildUrl, formErrorsFrom, request } from './client';
import { normaliseMetrics } from './endpoints';

afterEach(() => vi.unstubAllGlobals());

describe('api client', () => {
  it('builds URLs under /api/v1 and drops empty query values', () => {
    expect(buildUrl('/jobs', { kind: '', status: 'running', limit: 10, x: undefined })).toBe('/api/v1/jobs?status=running&limit=10');
  });

  it('turns the one error shape into an ApiError', async () => {
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ error: { code: 'conflict', message: 'nope', details: { field: 'name' } } }), { status: 409 }));
    const error = await request('POST', '/receivers', { body: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 409, code: 'conflict', message: 'nope', details: { field: 'name' } });
    expect((error as ApiError).unavailable).toBe(false);
  });

  it('copes with an answer that is not JSON', async () => {
    vi.stubGlobal('fetch', async () => new Response('Bad gateway', { status: 502, statusText: 'Bad Gateway' }));
    const error = (await request('GET', '/health').catch((e: unknown) => e)) as ApiError;
    expect(error.code).toBe('http_502');
    expect(error.message).toBe('Bad gateway');
  });

  it('reports an unreachable server', async () => {
    vi.stubGlobal('fetch', async () => { throw new TypeError('Failed to fetch'); });
    const error = (await request('GET', '/health').catch((e: unknown) => e)) as ApiError;
    expect(error.code).toBe('network_error');
  });

  it('maps field errors, including nested paths, onto known fields', () => {
    const error = new ApiError(422, 'invalid_input', 'bad', { field: 'receivers.0.lat' });
    expect(formErrorsFrom(error, ['receivers', 'name'])).toEqual({ fields: { receivers: 'bad' } });
    expect(formErrorsFrom(new ApiError(422, 'invalid_input', 'bad', { field: 'other' }), ['name'])).toEqual({ fields: {}, form: 'bad' });
  });

  it('gives each field its own message from the server validation list', () => {
    const error = new ApiError(422, 'invalid_input', 'invalid input: lat: too big; alt_m: not finite', {
      field: 'lat',
      errors: [
        { location: 'body', field: 'lat', message: 'too big', type: 'less_than_equal' },
        { location: 'body', field: 'alt_m', message: 'not finite', type: 'finite_number' },
      ],
    });
    expect(formErrorsFrom(error, ['lat', 'alt_m'])).toEqual({ fields: { lat: 'too big', alt_m: 'not finite' } });
  });

  it('normalises metrics lists and pages, flat and nested', () => {
    expect(normaliseMetrics([{ epoch: 2, loss: 1 }, { epoch: 1, metrics: { loss: 2 }, job_id: 'x' }])).toEqual([
      { epoch: 1, loss: 2 }, { epoch: 2, loss: 1 },
    ]);
    expect(normaliseMetrics({ items: [{ epoch: 0, lr: 0.1 }], total: 1 })).toEqual([{ epoch: 0, lr: 0.1 }]);
  });
});
