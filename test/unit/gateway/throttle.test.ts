// Throttling of authentication failures: a sliding window per key, Retry-After until the oldest failure
// leaves the window, bounded memory.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FailureThrottle } from '../../../src/gateway/multi/throttle.js';

test('allows `limit` failures per window, then asks to wait until the oldest expires', () => {
  let now = 1_000_000;
  const t = new FailureThrottle({ limit: 3, windowMs: 60_000, now: () => now });
  assert.equal(t.retryAfterMs('1.2.3.4'), 0);
  t.fail('1.2.3.4');
  now += 10_000;
  t.fail('1.2.3.4');
  assert.equal(t.retryAfterMs('1.2.3.4'), 0);
  now += 10_000;
  t.fail('1.2.3.4');
  assert.equal(t.retryAfterMs('1.2.3.4'), 40_000, 'until the first failure is 60 s old');
  assert.equal(t.retryAfterMs('5.6.7.8'), 0, 'other keys are not affected');
  now += 40_000;
  assert.equal(t.retryAfterMs('1.2.3.4'), 0, 'the oldest failure left the window');
  t.fail('1.2.3.4');
  assert.equal(t.retryAfterMs('1.2.3.4'), 10_000);
  now += 120_000;
  assert.equal(t.retryAfterMs('1.2.3.4'), 0);
  assert.equal(t.size, 0, 'expired keys are forgotten');
});

test('memory is bounded: the least recently failed keys are forgotten first', () => {
  const t = new FailureThrottle({ limit: 2, windowMs: 60_000, maxKeys: 100 });
  for (let i = 0; i < 1000; i++) t.fail(`k${i}`);
  assert.equal(t.size, 100);
  t.fail('k999');
  assert.equal(t.retryAfterMs('k999') > 0, true);
  assert.equal(t.retryAfterMs('k0'), 0);
});
