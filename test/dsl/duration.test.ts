import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, humanDuration, parseDuration, roughDuration } from '../../dsl/duration.ts';

describe('parseDuration', () => {
  it('reads every unit', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('365d')).toBe(31_536_000_000);
  });
  it('accepts decimals and surrounding spaces', () => {
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration(' 0.5s ')).toBe(500);
    expect(parseDuration('.25s')).toBe(250);
  });
  it('takes numbers as milliseconds', () => {
    expect(parseDuration(250)).toBe(250);
    expect(parseDuration(0)).toBe(0);
    expect(parseDuration(1.4)).toBe(1);
  });
  it('rejects bad text and bad numbers with a message', () => {
    for (const bad of ['soon', '10', '5 minutes', '-1s', '1w', '', 's', '1.s']) {
      const r = parseDuration(bad);
      expect(typeof r, bad).toBe('object');
      expect((r as { error: string }).error).toContain('invalid duration');
    }
    for (const bad of [-1, NaN, Infinity]) expect(typeof parseDuration(bad)).toBe('object');
  });
});

describe('formatDuration', () => {
  it('uses the largest exact unit', () => {
    expect(formatDuration(86_400_000)).toBe('1d');
    expect(formatDuration(7_200_000)).toBe('2h');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(1500)).toBe('1500ms');
    expect(formatDuration(0)).toBe('0ms');
  });
  it('round-trips through parseDuration', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 * 86_400_000 }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
  });
});

describe('humanDuration and roughDuration', () => {
  it('keep exact short texts and round long odd ones to two units', () => {
    expect(humanDuration(7_200_000)).toBe('2h');
    expect(humanDuration(90_000)).toBe('90s');
    expect(humanDuration(2_345)).toBe('2345ms');
    expect(humanDuration(401_908_027)).toBe('4d 15h');
    expect(humanDuration(3 * 86_400_000 + 1)).toBe('3d');
  });
  it('rounds measured times for reading', () => {
    expect([52, 999.6, 1_234, 42_100, 245_000, 11_520_000, 401_908_027].map(roughDuration)).toEqual([
      '52ms', '1000ms', '1.23s', '42.1s', '4m 5s', '3h 12m', '4d 15h',
    ]);
    expect(roughDuration(-5)).toBe('0ms');
  });
});
