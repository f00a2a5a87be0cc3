import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from '@sinclair/typebox';
import { check } from '../../../server/api-schema/validate.ts';

const Body = Type.Object({
  size: Type.Integer({ minimum: 0, description: 'size: a whole number of bytes' }),
  name: Type.Optional(Type.String()),
});

test('a request part that misses its schema is BAD_REQUEST with the JSON pointer as rule', () => {
  assert.doesNotThrow(() => check(Body, { size: 3 }, 'body'));
  assert.throws(() => check(Body, { size: -1 }, 'body'), {
    code: 'BAD_REQUEST',
    rule: '/body/size',
    message: '/body/size: size: a whole number of bytes',
  });
  assert.throws(() => check(Body, { size: 1, name: 5 }, 'query'), {
    code: 'BAD_REQUEST',
    rule: '/query/name',
    message: '/query/name: Expected string',
  });
  assert.throws(() => check(Body, [], 'body'), { code: 'BAD_REQUEST', rule: '/body' });
});
