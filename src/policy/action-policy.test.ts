import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseActionPolicy, policyAllows } from './action-policy.js';
import { CertError } from '../domain/errors.js';

test('policies parse from comma lists and JSON, normalized to yundun-cert:', () => {
  assert.deepEqual(parseActionPolicy('Describe*, yundun-cert:ListContact'), [
    'yundun-cert:Describe*',
    'yundun-cert:ListContact',
  ]);
  assert.deepEqual(parseActionPolicy('["yundun-cert:List*"]'), ['yundun-cert:List*']);
});

test('bad policies are refused with invalid_parameter', () => {
  for (const bad of ['', ' , ', '[1]', '[', 'rm -rf', 'ecs:Describe*', 'Describe?']) {
    assert.throws(
      () => parseActionPolicy(bad),
      (e: unknown) => e instanceof CertError && e.kind === 'invalid_parameter',
      bad,
    );
  }
});

test('matching follows RAM wildcards', () => {
  const p = parseActionPolicy('Describe*,ListContact');
  const cases: Array<[string, boolean]> = [
    ['DescribePackageState', true],
    ['DescribeCertificateState', true],
    ['ListContact', true],
    ['ListContactX', false],
    ['CreateCertificateRequest', false],
  ];
  for (const [action, expected] of cases) assert.equal(policyAllows(p, action), expected, action);
  assert.equal(policyAllows(null, 'Anything'), true);
  assert.equal(policyAllows(parseActionPolicy('*'), 'DeleteCsr'), true);
});
