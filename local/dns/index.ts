import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { DnsWireError, decodeQuery, encodeError, encodeResponse, RCODE } from './dns-wire.js';
import { DnsZone } from './dns-zone.js';

export type { RecordType } from './dns-wire.js';
export {
  canonicalName,
  type DnsRecord,
  type DnsRecordFilter,
  DnsZone,
  DnsZoneError,
  isDnsName,
  type NewDnsRecord,
} from './dns-zone.js';

/** A running local DNS server. */
export interface LocalDnsServer {
  /** `127.0.0.1:<port>`: what `Resolver.setServers` and `DNS_RESOLVERS` take. */
  address: string;
  port: number;
  zone: DnsZone;
  close(): Promise<void>;
}

/** Options for {@link startDnsServer}. */
export interface DnsServerOptions {
  /** The records to serve; a new empty zone when absent. */
  zone?: DnsZone;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
}

/** Largest answer sent over UDP; c-ares advertises 1232 bytes with EDNS, and our answers stay far below. */
const MAX_UDP_ANSWER = 1232;

/**
 * A tiny authoritative DNS server over UDP for the local runtime: it answers A, CNAME, MX and
 * TXT questions from a {@link DnsZone} (NXDOMAIN for names it does not hold), so the service's
 * own look-ups and the SES sandbox's verification see the same published records.
 */
export async function startDnsServer(options: DnsServerOptions = {}): Promise<LocalDnsServer> {
  const zone = options.zone ?? new DnsZone();
  const socket = createSocket('udp4');
  socket.on('message', (packet, peer) => {
    const reply = answer(packet, zone);
    if (reply) socket.send(reply, peer.port, peer.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      socket.off('error', reject);
      // A bad datagram must not bring the server down; answers are best effort as in UDP.
      socket.on('error', () => undefined);
      resolve();
    });
  });
  const bound = socket.address() as AddressInfo;
  return {
    address: `${bound.address}:${bound.port}`,
    port: bound.port,
    zone,
    close: () => closeSocket(socket),
  };
}

/** The response to one datagram, or nothing when it is too broken to answer. */
export function answer(packet: Buffer, zone: DnsZone): Buffer | undefined {
  try {
    const query = decodeQuery(packet);
    const opcode = (query.flags >> 11) & 0xf;
    if (opcode !== 0 || query.question.class !== 1) return encodeResponse(query, RCODE.notImplemented, []);
    const { rcode, answers } = zone.lookup(query.question.name, query.question.type);
    const response = encodeResponse(query, rcode, answers);
    return response.length <= MAX_UDP_ANSWER ? response : encodeResponse(query, RCODE.serverFailure, []);
  } catch (error) {
    if (error instanceof DnsWireError && packet.length >= 2)
      return encodeError(packet.readUInt16BE(0), RCODE.formatError);
    return undefined;
  }
}

function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve();
    }
  });
}
