import { createSocket } from 'node:dgram';
import { promises as dnsPromises } from 'node:dns';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DnsZoneError, type LocalDnsServer, startDnsServer } from '../../local/dns/index.js';

let server: LocalDnsServer;
let resolver: dnsPromises.Resolver;

beforeAll(async () => {
  server = await startDnsServer();
  resolver = new dnsPromises.Resolver({ timeout: 1_000, tries: 1 });
  resolver.setServers([server.address]);
});
afterAll(() => server?.close());
beforeEach(() => {
  server.zone.remove();
});

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'answered',
    (error: { code?: string }) => error.code,
  );

describe('local DNS server', () => {
  it('answers CNAME, MX, TXT and A questions from its zone to node’s resolver', async () => {
    server.zone.add({ type: 'CNAME', name: 'tok1._domainkey.acme.example', value: 'tok1.dkim.amazonses.com' });
    server.zone.add({ type: 'MX', name: 'bounce.acme.example', value: '10 feedback-smtp.eu-west-1.amazonses.com' });
    server.zone.add({ type: 'TXT', name: 'bounce.acme.example', value: 'v=spf1 include:amazonses.com ~all' });
    server.zone.add({ type: 'A', name: 'acme.example.', value: '192.0.2.10' });

    expect(await resolver.resolveCname('TOK1._domainkey.acme.example')).toEqual(['tok1.dkim.amazonses.com']);
    expect(await resolver.resolveMx('bounce.acme.example')).toEqual([
      { exchange: 'feedback-smtp.eu-west-1.amazonses.com', priority: 10 },
    ]);
    expect(await resolver.resolveTxt('bounce.acme.example')).toEqual([['v=spf1 include:amazonses.com ~all']]);
    expect(await resolver.resolve4('acme.example')).toEqual(['192.0.2.10']);
  });

  it('splits long TXT values into 255-byte strings', async () => {
    server.zone.add({ type: 'TXT', name: '_dmarc.acme.example', value: 'x'.repeat(600) });
    const [strings] = await resolver.resolveTxt('_dmarc.acme.example');
    expect(strings?.map((part) => part.length)).toEqual([255, 255, 90]);
    expect(strings?.join('')).toBe('x'.repeat(600));
  });

  it('answers NXDOMAIN for unknown names and NODATA for a known name without that type', async () => {
    server.zone.add({ type: 'MX', name: 'bounce.acme.example', value: 'feedback-smtp.eu-west-1.amazonses.com' });
    expect(await code(resolver.resolveCname('nothing.acme.example'))).toBe('ENOTFOUND');
    expect(await code(resolver.resolveTxt('bounce.acme.example'))).toBe('ENODATA');
    // An ancestor of a published name exists, without records of its own.
    expect(await code(resolver.resolveMx('acme.example'))).toBe('ENODATA');
  });

  it('follows a CNAME inside the zone for other record types', async () => {
    server.zone.add({ type: 'CNAME', name: 'www.acme.example', value: 'acme.example' });
    server.zone.add({ type: 'A', name: 'acme.example', value: '192.0.2.10' });
    expect(await resolver.resolve4('www.acme.example')).toEqual(['192.0.2.10']);
  });

  it('stops answering a record once it is removed', async () => {
    server.zone.add({ type: 'CNAME', name: 'tok1._domainkey.acme.example', value: 'tok1.dkim.amazonses.com' });
    expect(server.zone.remove({ name: 'tok1._domainkey.acme.example.' })).toBe(1);
    expect(await code(resolver.resolveCname('tok1._domainkey.acme.example'))).toBe('ENOTFOUND');
  });

  it('refuses a CNAME next to other records, and bad names or values', () => {
    server.zone.add({ type: 'TXT', name: 'acme.example', value: 'hello' });
    expect(() => server.zone.add({ type: 'CNAME', name: 'acme.example', value: 'other.example' })).toThrow(
      DnsZoneError,
    );
    expect(() => server.zone.add({ type: 'A', name: 'bad..name', value: '192.0.2.1' })).toThrow(
      'name must be a DNS name',
    );
    expect(() => server.zone.add({ type: 'A', name: 'ok.example', value: '999.0.0.1' })).toThrow('IPv4');
    expect(() => server.zone.add({ type: 'MX', name: 'ok.example', value: '10 not a host' })).toThrow('MX');
  });

  it('answers a datagram it cannot read with FORMERR instead of failing', async () => {
    const socket = createSocket('udp4');
    const answer = new Promise<Buffer>((resolve) => socket.once('message', resolve));
    socket.send(Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01]), server.port, '127.0.0.1');
    const reply = await answer;
    socket.close();
    expect(reply.readUInt16BE(0)).toBe(0x1234);
    expect(reply.readUInt16BE(2) & 0x000f).toBe(1);
    expect(await code(resolver.resolveCname('still-up.example'))).toBe('ENOTFOUND');
  });
});
