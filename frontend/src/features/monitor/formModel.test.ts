import { describe, expect, it } from 'vitest';
import { cotUrlError, formFields, INITIAL_FORM, parseHertz, toMonitorInput, validateMonitor, type MonitorFormState } from './formModel';

const form = (patch: Partial<MonitorFormState>): MonitorFormState => ({ ...INITIAL_FORM, networkId: 'n1', ...patch });
const channel = (frequency: string, threshold = '10', passband = '') => ({ frequency, threshold, passband });

describe('frequencies as people type them', () => {
  it.each([
    ['145.5M', 145.5e6], ['7.1M', 7.1e6], ['145.5 MHz', 145.5e6], ['7100k', 7.1e6], ['7100 kHz', 7.1e6],
    ['1.2G', 1.2e9], ['145500000', 145.5e6], ['12k', 12e3], ['.5M', 0.5e6], ['446.00625m', 446.00625e6],
  ])('%s is %d Hz', (text, hz) => {
    expect(parseHertz(text)).toBeCloseTo(hz, 3);
  });

  it.each(['', 'M', '145,5M', '145.5Q', '-7.1M', '1e6', '145.5MHzz'])('"%s" is not a frequency', (text) => {
    expect(parseHertz(text)).toBeNaN();
  });
});

describe('validateMonitor', () => {
  it('accepts a plain watch and sends SI units, leaving empty options to the server', () => {
    const state = form({ name: ' 2 m repeater ', channels: [channel('145.5M'), channel('7.1M', '', '2.4k')], cotUrl: 'udp://239.2.3.1:6969' });
    expect(validateMonitor(state, 5)).toEqual({});
    expect(toMonitorInput(state)).toEqual({
      name: '2 m repeater', network_id: 'n1', min_receivers: 3, cot: [{ url: 'udp://239.2.3.1:6969' }],
      channels: [{ frequency_hz: 145.5e6, threshold_db: 10 }, { frequency_hz: 7.1e6, passband_hz: 2400 }],
    });
  });

  it('names each bad field by the path the server uses', () => {
    const state = form({ networkId: '', minReceivers: '2.5', cotUrl: 'http://tak:8087',
      channels: [channel('145.5Q'), channel('7.1M', '0'), channel('7100k', '6', 'wide')] });
    expect(validateMonitor(state)).toEqual({
      network_id: 'Choose the network to watch with.',
      'channels[0].frequency_hz': 'A frequency such as 145.5M or 7.1M (above 0, up to 30 GHz).',
      'channels[1].threshold_db': 'A squelch above 0 dB over the noise floor (0 or less would fire all the time).',
      'channels[2].frequency_hz': 'This frequency is watched already.',
      'channels[2].passband_hz': 'A bandwidth such as 12k, or empty for the default.',
      min_receivers: 'A whole number of receivers, at least 1.',
      cot: 'A CoT endpoint such as udp://239.2.3.1:6969 or tcp://tak.example.org:8087.',
    });
  });

  it('refuses more receivers per fix than the network has, and no channel at all', () => {
    expect(validateMonitor(form({ minReceivers: '4', channels: [channel('145.5M')] }), 3)).toEqual({ min_receivers: 'The network has only 3 receivers.' });
    expect(validateMonitor(form({ channels: [] }))).toEqual({ channels: 'Watch at least one channel.' });
  });

  it('checks CoT endpoints: scheme, host and port', () => {
    expect(cotUrlError('tcp://tak.example.org:8087')).toBeNull();
    expect(cotUrlError('udp://[ff02::1]:6969')).toBeNull();
    expect(cotUrlError('udp://host:70000')).toBe('The port must be 1–65535.');
    expect(cotUrlError('udp://host')).not.toBeNull();
  });

  it('lists the channel fields before the channels list, so a server error lands on the exact input', () => {
    expect(formFields(form({ channels: [channel('1M')] }))).toEqual([
      'name', 'network_id', 'channels[0].frequency_hz', 'channels[0].passband_hz', 'channels[0].threshold_db', 'channels', 'min_receivers', 'cot']);
  });
});
