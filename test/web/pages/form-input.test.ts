import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formInput } from '../../../server/web/pages/form-input.ts';
import {
  MetadataForm,
  PublishForm,
  UploadForm,
  metadataOf,
  registerForm,
} from '../../../server/web/pages/endorser-forms.ts';
import {
  EndorserApprovalForm,
  ImageApprovalForm,
  SubscribeForm,
  TrustForm,
} from '../../../server/web/pages/site-forms.ts';

/** The refusal `formInput` throws: its message and the JSON pointer of the field. */
function refusal(f: () => unknown): { message: string; rule: string | undefined } {
  try {
    f();
  } catch (e) {
    const err = e as { code?: string; message: string; rule?: string };
    assert.equal(err.code, 'BAD_REQUEST');
    return { message: err.message, rule: err.rule };
  }
  assert.fail('accepted');
}

describe('web admin forms through their schemas', () => {
  test('text fields are trimmed, an empty one is absent, undeclared fields are dropped', () => {
    assert.deepEqual(
      { ...formInput(SubscribeForm, { url: ' u ', expectSubject: 'CN=x', name: '', _csrf: 't' }) },
      { url: 'u', expectSubject: 'CN=x' },
    );
    assert.deepEqual(
      refusal(() => formInput(TrustForm, { pem: '  ' })),
      {
        message: 'PEM text is required',
        rule: '/body/pem',
      },
    );
    assert.deepEqual(
      refusal(() => formInput(SubscribeForm, { url: 'u' })),
      {
        message: 'Pinned subject DN is required',
        rule: '/body/expectSubject',
      },
    );
  });

  test('a repeated field (an array) or a nested one is refused, never guessed at', () => {
    assert.deepEqual(
      refusal(() => formInput(TrustForm, { pem: ['a', 'b'] })),
      {
        message: 'pem must be given once',
        rule: '/body/pem',
      },
    );
    assert.deepEqual(
      refusal(() => formInput(MetadataForm, { title: { x: 'y' } })),
      {
        message: 'title must be given once',
        rule: '/body/title',
      },
    );
    assert.deepEqual(
      refusal(() => formInput(PublishForm, { expiresInDays: ['1', '2'] })),
      {
        message: 'expiresInDays must be given once',
        rule: '/body/expiresInDays',
      },
    );
  });

  test('integers are plain digits, converted, then bounded by the schema', () => {
    assert.equal(formInput(PublishForm, { expiresInDays: ' 007 ' }).expiresInDays, 7);
    for (const bad of ['0', '367', '1e2', '0x10', '-1', '1.5', '9'.repeat(20)])
      assert.deepEqual(
        refusal(() => formInput(PublishForm, { expiresInDays: bad })),
        {
          message: 'Expiry in days must be a whole number from 1 to 366',
          rule: '/body/expiresInDays',
        },
        bad,
      );
    assert.deepEqual(
      refusal(() => formInput(PublishForm, {})),
      {
        message: 'Expiry in days is required',
        rule: '/body/expiresInDays',
      },
    );
    const register = registerForm(1000);
    const ok = formInput(register, { url: 'http://x/i', sha256: 'ab', size: '1000' });
    assert.equal(ok.size, 1000);
    assert.deepEqual(
      refusal(() => formInput(register, { url: 'http://x/i', sha256: 'ab', size: '1001' })),
      { message: 'Size in bytes must be a whole number from 0 to 1000', rule: '/body/size' },
    );
  });

  test('metadata is kept as typed: an empty field is sent on to clear it', () => {
    const input = formInput(UploadForm, { title: ' T ', osName: '', identifier: ' ', extra: 'x' });
    assert.deepEqual(metadataOf(input), { title: ' T ', osName: '' });
    assert.equal(input.identifier, undefined);
  });

  test('approval forms: subscription names in the API alphabet, an image otherwise required', () => {
    assert.equal(formInput(EndorserApprovalForm, { endorser: ' fx ' }).endorser, 'fx');
    assert.equal(formInput(EndorserApprovalForm, { image: 'x' }).endorser, undefined);
    const message = 'subscription name must be 1-64 lowercase letters, digits or -';
    assert.deepEqual(
      refusal(() => formInput(EndorserApprovalForm, { endorser: '../x' })),
      {
        message,
        rule: '/body/endorser',
      },
    );
    assert.deepEqual(
      refusal(() => formInput(ImageApprovalForm, { image: 'alma-9', subscription: 'FX' })),
      { message, rule: '/body/subscription' },
    );
    assert.deepEqual(
      refusal(() => formInput(ImageApprovalForm, {})),
      {
        message: 'Image is required',
        rule: '/body/image',
      },
    );
  });

  test('prototype names as fields reach nothing', () => {
    const fields = JSON.parse('{"__proto__": {"url": "x"}, "constructor": "y"}') as Record<
      string,
      unknown
    >;
    assert.deepEqual(
      refusal(() => formInput(SubscribeForm, fields)),
      {
        message: 'Feed URL is required',
        rule: '/body/url',
      },
    );
  });
});
