// gateway.redirect in claas.yaml: off unless written, `true` = 15 minutes from every store, the long form
// with its expiry (1s..7d) and the stores that may be redirected to; mistakes name the field and line.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from '../../../src/config/load.js';
import { expirySeconds, redirectForStore } from '../../../src/config/redirect.js';
import { ISSUE_4_EXAMPLE, ISSUE_5_GATEWAY } from './examples.js';

const withRedirect = (lines: string): string => `${ISSUE_4_EXAMPLE}${ISSUE_5_GATEWAY}${lines}`;

function issues(text: string): string[] {
  try {
    parseConfig(text, 'claas.yaml');
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.message.split('\n');
  }
  return assert.fail('the configuration loaded');
}

test('redirect is off unless written; true means 15 minutes from every store', () => {
  assert.equal(parseConfig(withRedirect(''), 'claas.yaml').gateway?.redirect, undefined);
  assert.equal(parseConfig(withRedirect('  redirect: false\n'), 'claas.yaml').gateway?.redirect, undefined);
  assert.deepEqual(parseConfig(withRedirect('  redirect: true\n'), 'claas.yaml').gateway?.redirect, {
    expiresSeconds: 900,
  });
});

test('the long form sets the expiry and the stores vCenters can reach', () => {
  const config = parseConfig(
    withRedirect('  redirect:\n    expires: 2h\n    stores: [west]\n'),
    'claas.yaml',
  );
  assert.deepEqual(config.gateway?.redirect, { expiresSeconds: 7200, stores: ['west'] });
  assert.deepEqual(redirectForStore(config.gateway?.redirect, 'west'), { expiresSeconds: 7200 });
  assert.equal(redirectForStore(config.gateway?.redirect, 'origin'), undefined);
  assert.equal(redirectForStore(undefined, 'west'), undefined);
  const all = parseConfig(withRedirect('  redirect: { expires: 7d }\n'), 'claas.yaml').gateway?.redirect;
  assert.deepEqual(all, { expiresSeconds: 604_800 });
  assert.deepEqual(redirectForStore(all, 'origin'), { expiresSeconds: 604_800 });
});

test('expiry, store names and unknown fields are checked', () => {
  assert.deepEqual(issues(withRedirect('  redirect: { expires: 8d }\n')), [
    'claas.yaml:27:24: gateway.redirect.expires: a presigned URL is valid for 1s to 7d (SigV4 allows no longer)',
  ]);
  assert.match(
    issues(withRedirect('  redirect: { expires: 15 minutes }\n'))[0]!,
    /expected a duration like 90s/,
  );
  assert.match(issues(withRedirect('  redirect: { expires: 0s }\n'))[0]!, /valid for 1s to 7d/);
  assert.deepEqual(issues(withRedirect('  redirect: { stores: [west, east, west] }\n')), [
    'claas.yaml:27:30: gateway.redirect.stores[1]: no store is named "east"; known: "origin", "west", "client-a"',
    'claas.yaml:27:36: gateway.redirect.stores[2]: "west" is listed twice',
  ]);
  assert.match(issues(withRedirect('  redirect: { expire: 15m }\n'))[0]!, /gateway\.redirect\.expire/);
  assert.match(issues(withRedirect('  redirect: yes please\n'))[0]!, /gateway\.redirect/);
});

test('expiry durations', () => {
  assert.equal(expirySeconds('90s'), 90);
  assert.equal(expirySeconds('15m'), 900);
  assert.equal(expirySeconds('2h'), 7200);
  assert.equal(expirySeconds('7d'), 604_800);
  assert.equal(expirySeconds('1.5h'), undefined);
  assert.equal(expirySeconds('15'), undefined);
});
