import { describe, expect, it } from 'vitest';
import { laterJob } from './queries';
import type { Job } from './types';

const job = (status: Job['status'], updated_at: string) => ({ id: 'j1', kind: 'train', status, updated_at }) as Job;

describe('laterJob', () => {
  it('keeps an event snapshot newer than a REST answer that left before it', () => {
    const running = job('running', '2026-12-03T19:00:01.500Z');
    expect(laterJob(running, job('queued', '2026-12-03T19:00:01.000Z'))).toBe(running);
  });

  it('takes the REST answer when it is as new or newer, or about another job', () => {
    const fetched = job('completed', '2026-12-03T19:00:09.000Z');
    expect(laterJob(job('running', '2026-12-03T19:00:01.500Z'), fetched)).toBe(fetched);
    expect(laterJob(undefined, fetched)).toBe(fetched);
    expect(laterJob({ ...job('running', '2026-12-03T19:59:00.000Z'), id: 'other' }, fetched)).toBe(fetched);
  });
});
