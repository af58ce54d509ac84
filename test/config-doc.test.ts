// docs/configuration.md and `certdesk help serve` come from the one configuration schema
// (src/config/schema.ts): the doc must equal what `npm run docs:config` writes, and both
// must list every flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { OPTIONS, configurationDoc, optionHelp } from '../src/config/schema.js';

test('docs/configuration.md is the one generated from the schema (npm run docs:config)', () => {
  const file = readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');
  assert.equal(file, configurationDoc(), 'docs/configuration.md is stale: run npm run docs:config');
});

test('the doc and certdesk help serve list every flag, --crl-partitions included', () => {
  const doc = configurationDoc();
  const help = optionHelp(['store', 'ca', 'serve']);
  assert.ok(OPTIONS.some((o) => o.flag === 'crl-partitions'));
  for (const o of OPTIONS) {
    assert.match(doc, new RegExp(`\`--${o.flag}[ \`]`), o.flag);
    assert.match(help, new RegExp(`^  --${o.flag}( |$)`, 'm'), o.flag);
  }
});
