import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkEventWebhookSignature,
  EventWebhookKeyError,
  parseEventWebhookPublicKey,
  parseSendGridEvents,
} from '../../shared/providers/sendgrid/sendgrid-event-webhook.js';

const pair = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const { publicKey, privateKey } = pair();
const publicKeyBase64 = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
const now = 1_800_000_000_000;
const body = Buffer.from(
  JSON.stringify([{ email: 'a@x.example', event: 'delivered', sg_event_id: 'e1', timestamp: 1 }]),
);
const signed = (timestamp: string, raw: Buffer, key = privateKey) =>
  sign('sha256', Buffer.concat([Buffer.from(timestamp), raw]), key).toString('base64');

describe('parseEventWebhookPublicKey', () => {
  it('accepts SendGrid’s base64 DER P-256 verification key', () => {
    expect(parseEventWebhookPublicKey(publicKeyBase64).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it('refuses text that is not base64, not a key, or a key on another curve', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({
      format: 'der',
      type: 'spki',
    });
    for (const bad of ['not base64!', 'aGVsbG8=', other.toString('base64')]) {
      expect(() => parseEventWebhookPublicKey(bad)).toThrow(EventWebhookKeyError);
    }
  });
});

describe('checkEventWebhookSignature', () => {
  const key = parseEventWebhookPublicKey(publicKeyBase64);
  const timestamp = String(now / 1000);

  it('accepts a batch signed over timestamp + raw body', () => {
    expect(
      checkEventWebhookSignature({ key, signature: signed(timestamp, body), timestamp, rawBody: body, nowMs: now }),
    ).toBe('valid');
  });

  it('refuses a forged body, another key’s signature and missing headers', () => {
    const forged = Buffer.from(body.toString().replace('delivered', 'bounce'));
    expect(
      checkEventWebhookSignature({ key, signature: signed(timestamp, body), timestamp, rawBody: forged, nowMs: now }),
    ).toBe('bad_signature');
    expect(
      checkEventWebhookSignature({
        key,
        signature: signed(timestamp, body, pair().privateKey),
        timestamp,
        rawBody: body,
        nowMs: now,
      }),
    ).toBe('bad_signature');
    expect(checkEventWebhookSignature({ key, signature: undefined, timestamp, rawBody: body, nowMs: now })).toBe(
      'missing_headers',
    );
  });

  it('refuses a timestamp more than five minutes off, even correctly signed', () => {
    const stale = String(now / 1000 - 301);
    expect(
      checkEventWebhookSignature({ key, signature: signed(stale, body), timestamp: stale, rawBody: body, nowMs: now }),
    ).toBe('stale_timestamp');
    const edge = String(now / 1000 - 300);
    expect(
      checkEventWebhookSignature({ key, signature: signed(edge, body), timestamp: edge, rawBody: body, nowMs: now }),
    ).toBe('valid');
  });
});

describe('parseSendGridEvents', () => {
  it('turns SendGrid events into neutral feedback with our messageId', () => {
    const batch = Buffer.from(
      JSON.stringify([
        {
          email: 'Jane@X.example',
          event: 'delivered',
          sg_event_id: 'e1',
          timestamp: 1_700_000_000,
          messageId: 'm1',
          tenantId: 't1',
        },
        {
          email: 'b@x.example',
          event: 'bounce',
          sg_event_id: 'e2',
          timestamp: 1_700_000_001,
          messageId: 'm1',
          reason: '550 no such user',
        },
        { email: 's@x.example', event: 'spamreport', sg_event_id: 'e3', timestamp: 1_700_000_002 },
        { event: 'delivered' },
      ]),
    );
    expect(parseSendGridEvents(batch)).toEqual([
      {
        messageId: 'm1',
        claimedTenantId: 't1',
        eventId: 'e1',
        kind: 'delivered',
        providerEventType: 'delivered',
        at: '2023-11-14T22:13:20.000Z',
        recipient: 'jane@x.example',
      },
      {
        messageId: 'm1',
        claimedTenantId: undefined,
        eventId: 'e2',
        kind: 'bounced',
        bounceType: 'hard',
        providerEventType: 'bounce',
        at: '2023-11-14T22:13:21.000Z',
        recipient: 'b@x.example',
        reason: '550 no such user',
      },
      {
        messageId: undefined,
        claimedTenantId: undefined,
        eventId: 'e3',
        kind: 'complained',
        providerEventType: 'spamreport',
        at: '2023-11-14T22:13:22.000Z',
        recipient: 's@x.example',
      },
    ]);
  });

  it('throws on malformed JSON and on a body that is not an array', () => {
    expect(() => parseSendGridEvents(Buffer.from('[{'))).toThrow(SyntaxError);
    expect(() => parseSendGridEvents(Buffer.from('{}'))).toThrow(SyntaxError);
  });
});
