import { describe, expect, it } from 'vitest';
import { validateShape, validationMessage } from '../../local/ses-sandbox/model-validator.js';
import { RequestBinder } from '../../local/ses-sandbox/request-binding.js';
import { sesv2Model } from '../../local/ses-sandbox/smithy-model.js';

const model = sesv2Model();
const validate = (shape: string, value: unknown) => validateShape(model, value, `com.amazonaws.sesv2#${shape}`);

const simpleSend = (extra: Record<string, unknown> = {}) => ({
  FromEmailAddress: 'info@acme.example',
  Destination: { ToAddresses: ['jane@customer.example'] },
  Content: { Simple: { Subject: { Data: 'Hello' }, Body: { Text: { Data: 'Hi' } }, ...extra } },
});

describe('validateShape', () => {
  it('accepts a complete SendEmail request', () => {
    expect(
      validate('SendEmailRequest', { ...simpleSend(), TenantName: 'acme', EmailTags: [{ Name: 'a', Value: 'b' }] }),
    ).toEqual([]);
  });

  it('names a missing required member', () => {
    expect(validate('CreateTenantResourceAssociationRequest', { TenantName: 'acme' })).toEqual([
      { path: 'ResourceArn', constraint: 'Member must not be null' },
    ]);
  });

  it('names a missing required member of a nested structure inside a list', () => {
    const request = { ...simpleSend(), EmailTags: [{ Name: 'ok', Value: 'ok' }, { Name: 'no-value' }] };
    expect(validate('SendEmailRequest', request)).toEqual([
      { path: 'EmailTags[1].Value', constraint: 'Member must not be null' },
    ]);
  });

  it('refuses a string shorter than its length trait allows', () => {
    expect(validate('CreateTenantRequest', { TenantName: '' })).toEqual([
      { path: 'TenantName', constraint: 'Member must have length greater than or equal to 1' },
    ]);
  });

  it('refuses a string longer than its length trait allows, deep in the request', () => {
    const request = simpleSend({ Headers: [{ Name: 'X'.repeat(127), Value: 'v' }] });
    expect(validate('SendEmailRequest', request)).toEqual([
      { path: 'Content.Simple.Headers[0].Name', constraint: 'Member must have length less than or equal to 126' },
    ]);
  });

  it('counts characters, not bytes, for string lengths', () => {
    expect(validate('Selector', 'ä'.repeat(63))).not.toContainEqual(
      expect.objectContaining({ constraint: expect.stringContaining('length') }),
    );
  });

  it('refuses a list longer than its length trait allows', () => {
    const headers = Array.from({ length: 16 }, (_, index) => ({ Name: `X-H${index}`, Value: 'v' }));
    expect(validate('SendEmailRequest', simpleSend({ Headers: headers }))).toEqual([
      { path: 'Content.Simple.Headers', constraint: 'Member must have length less than or equal to 15' },
    ]);
  });

  it('refuses a value that does not match the pattern', () => {
    const request = {
      EmailIdentity: 'acme.example',
      DkimSigningAttributes: { DomainSigningSelector: 'bad selector!' },
    };
    expect(validate('CreateEmailIdentityRequest', request)).toEqual([
      {
        path: 'DkimSigningAttributes.DomainSigningSelector',
        constraint: expect.stringContaining('Member must satisfy regular expression pattern: ^(([a-zA-Z0-9]|'),
      },
    ]);
  });

  it('refuses a value outside the enum, listing the allowed values', () => {
    const request = { EmailIdentity: 'acme.example', DkimSigningAttributes: { NextSigningKeyLength: 'RSA_4096_BIT' } };
    expect(validate('CreateEmailIdentityRequest', request)).toEqual([
      {
        path: 'DkimSigningAttributes.NextSigningKeyLength',
        constraint: 'Member must satisfy enum value set: [RSA_1024_BIT, RSA_2048_BIT]',
      },
    ]);
  });

  it('refuses a number outside the range trait', () => {
    expect(validate('ListMultiRegionEndpointsRequest', { PageSize: 0 })).toEqual([
      { path: 'PageSize', constraint: 'Member must have value greater than or equal to 1' },
    ]);
  });

  it('refuses values of the wrong type', () => {
    expect(validate('CreateTenantRequest', { TenantName: 5, Tags: {} })).toEqual([
      { path: 'TenantName', constraint: 'Member must be a string' },
      { path: 'Tags', constraint: 'Member must be a list' },
    ]);
  });

  it('refuses a blob that is not base64', () => {
    expect(validate('SendEmailRequest', { ...simpleSend(), Content: { Raw: { Data: 'not base64!' } } })).toEqual([
      { path: 'Content.Raw.Data', constraint: 'Member must be base64-encoded data' },
    ]);
  });
});

describe('validationMessage', () => {
  it('counts the violations and names each member', () => {
    const message = validationMessage([
      { path: 'TenantName', constraint: 'Member must not be null' },
      { path: 'ResourceArn', constraint: 'Member must not be null' },
    ]);
    expect(message).toBe(
      "2 validation errors detected: Value at 'TenantName' failed to satisfy constraint: Member must not be null; Value at 'ResourceArn' failed to satisfy constraint: Member must not be null",
    );
  });
});

describe('RequestBinder', () => {
  const binder = new RequestBinder(model);
  const bind = (method: string, path: string, body: unknown = undefined, query = '') =>
    binder.bind({
      method,
      path,
      query: new URLSearchParams(query),
      body: Buffer.from(body === undefined ? '' : JSON.stringify(body)),
    });

  it('binds a label from the path by the operation http trait', () => {
    expect(bind('GET', '/v2/email/identities/acme.example')).toMatchObject({
      operation: { name: 'GetEmailIdentity' },
      input: { EmailIdentity: 'acme.example' },
      violations: [],
    });
  });

  it('prefers a literal path segment over a label', () => {
    expect(bind('POST', '/v2/email/tenants/get', { TenantName: 'acme' })).toMatchObject({
      operation: { name: 'GetTenant' },
    });
  });

  it('binds query members and judges their type', () => {
    expect(bind('GET', '/v2/email/identities', undefined, 'PageSize=ten')).toMatchObject({
      operation: { name: 'ListEmailIdentities' },
      violations: [{ path: 'PageSize', constraint: 'Member must be an integer' }],
    });
  });

  it('accepts the installed SDK route for listing identities, with its Filter map', () => {
    expect(
      bind('POST', '/v2/email/list-identities', { PageSize: 10, Filter: { IdentityType: 'DOMAIN' } }),
    ).toMatchObject({
      operation: { name: 'ListEmailIdentities' },
      input: { PageSize: 10, Filter: { IdentityType: 'DOMAIN' } },
      violations: [],
    });
  });

  it('answers no route for a path no operation has', () => {
    expect(bind('GET', '/v2/email/nothing-here')).toEqual({ kind: 'no_route' });
  });

  it('tells a body that is not JSON from a valid one', () => {
    expect(
      binder.bind({ method: 'POST', path: '/v2/email/tenants', query: new URLSearchParams(), body: Buffer.from('{') }),
    ).toEqual({ kind: 'bad_json' });
  });
});
