import { describe, expect, it } from 'vitest';
import {
  formatAngle, formatBytes, formatDistance, formatDuration, formatFrequency, formatMilliseconds, formatPosition,
  formatPower, formatSignificant,
} from './format';

describe('formatting with units', () => {
  it('keeps a GDOP to three significant digits, not sixteen', () => {
    expect(formatSignificant(1.4142135623730951)).toBe('1.41');
    expect(formatSignificant(0.000123456)).toBe('0.000123');
    expect(formatSignificant(12345.6)).toBe('12346');
    expect(formatSignificant(null)).toBe('—');
  });

  it('picks metres or kilometres with sensible precision', () => {
    expect([0.4242, 12.7, 850, 1250, 12_500, 125_400].map(formatDistance)).toEqual(
      ['0.42 m', '13 m', '850 m', '1.25 km', '12.5 km', '125 km']);
  });

  it('writes positions with hemispheres to about a metre', () => {
    expect(formatPosition(45.12, 7.41)).toBe('45.12000° N, 7.41000° E');
    expect(formatPosition(-33.9, -70.65)).toBe('33.90000° S, 70.65000° W');
  });

  it('puts times in the unit that reads best', () => {
    expect(formatDuration(2.1e-5)).toBe('21.00 µs');
    expect(formatDuration(1.45e-7)).toBe('145.0 ns');
    expect(formatDuration(-3.2e-4)).toBe('-320.0 µs');
    expect(formatDuration(1.2)).toBe('1.200 s');
    expect(formatMilliseconds(12.3456)).toBe('12.3 ms');
    expect(formatMilliseconds(2500)).toBe('2.50 s');
  });

  it('formats angles, powers, frequencies and sizes', () => {
    expect(formatAngle(123.456)).toBe('123.5°');
    expect(formatPower(-97.25)).toBe('-97.3 dBm');
    expect(formatFrequency(145_500_000)).toBe('145.5000 MHz');
    expect(formatFrequency(77_500)).toBe('77.5000 kHz');
    expect(formatBytes(1_500_000)).toBe('1.4 MiB');
  });
});
