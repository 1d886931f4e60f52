import { describe, expect, it } from 'vitest';
import { allowedMonitorActions } from './MonitorList';

describe('what a watch accepts', () => {
  it.each([
    ['running', { pause: true, resume: false, cancel: true, delete: false }],
    ['paused', { pause: false, resume: true, cancel: true, delete: false }],
    ['queued', { pause: false, resume: false, cancel: true, delete: false }],
    ['cancelled', { pause: false, resume: false, cancel: false, delete: true }],
    ['failed', { pause: false, resume: false, cancel: false, delete: true }],
  ])('%s', (status, allowed) => {
    expect(allowedMonitorActions(status)).toEqual(allowed);
  });

  it('offers only delete when its job is gone', () => {
    expect(allowedMonitorActions('running', false)).toEqual({ pause: false, resume: false, cancel: false, delete: true });
  });
});
