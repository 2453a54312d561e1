/** DNS message encoding and decoding (RFC 1035, section 4), as much as a tiny authoritative server needs. */

/** Record types the server answers, with their wire codes. */
export const RECORD_TYPES = { A: 1, CNAME: 5, MX: 15, TXT: 16 } as const;

/** A record type the server answers. */
export type RecordType = keyof typeof RECORD_TYPES;

/** Response codes used here. */
export const RCODE = { noError: 0, formatError: 1, serverFailure: 2, nameError: 3, notImplemented: 4 } as const;

/** The question of a query. */
export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

/** A query as read from the wire. */
export interface DnsQuery {
  id: number;
  flags: number;
  question: DnsQuestion;
}

/** One answer record, with its data already in presentation form. */
export interface DnsAnswer {
  name: string;
  type: RecordType;
  ttl: number;
  /** A: dotted quad; CNAME: a name; MX: `{preference, exchange}`; TXT: the text. */
  data: string | { preference: number; exchange: string };
}

/** Why a packet could not be read as a query. */
export class DnsWireError extends Error {
  override readonly name = 'DnsWireError';
}

/** Reads the header and first question of a query; the id is returned even when the rest is unreadable. */
export function decodeQuery(packet: Buffer): DnsQuery {
  if (packet.length < 12) throw new DnsWireError('A DNS message has a 12-byte header.');
  const id = packet.readUInt16BE(0);
  const flags = packet.readUInt16BE(2);
  const questions = packet.readUInt16BE(4);
  if (flags & 0x8000) throw new DnsWireError('The message is a response, not a query.');
  if (questions !== 1) throw new DnsWireError('Exactly one question is supported.');
  const { name, next } = readName(packet, 12);
  if (next + 4 > packet.length) throw new DnsWireError('The question is cut short.');
  return { id, flags, question: { name, type: packet.readUInt16BE(next), class: packet.readUInt16BE(next + 2) } };
}

/** Builds the response to a query: authoritative, recursion not available, the question echoed. */
export function encodeResponse(query: DnsQuery, rcode: number, answers: DnsAnswer[]): Buffer {
  const opcode = (query.flags >> 11) & 0xf;
  const recursionDesired = query.flags & 0x0100;
  const flags = 0x8000 | (opcode << 11) | 0x0400 | recursionDesired | (rcode & 0xf);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.id, 0);
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  const question = Buffer.concat([writeName(query.question.name), uint16(query.question.type), uint16(1)]);
  return Buffer.concat([header, question, ...answers.map(encodeAnswer)]);
}

/** A bare error response for a packet whose question could not be read. */
export function encodeError(id: number, rcode: number): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x8000 | 0x0400 | (rcode & 0xf), 2);
  return header;
}

function encodeAnswer(answer: DnsAnswer): Buffer {
  const data = encodeData(answer);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(RECORD_TYPES[answer.type], 0);
  fixed.writeUInt16BE(1, 2);
  fixed.writeUInt32BE(answer.ttl, 4);
  fixed.writeUInt16BE(data.length, 8);
  return Buffer.concat([writeName(answer.name), fixed, data]);
}

function encodeData(answer: DnsAnswer): Buffer {
  const { data } = answer;
  switch (answer.type) {
    case 'A':
      return Buffer.from(String(data).split('.').map(Number));
    case 'CNAME':
      return writeName(String(data));
    case 'MX': {
      const mx = data as { preference: number; exchange: string };
      return Buffer.concat([uint16(mx.preference), writeName(mx.exchange)]);
    }
    case 'TXT': {
      // One record's text travels as character-strings of at most 255 bytes each.
      const bytes = Buffer.from(String(data), 'utf8');
      const parts: Buffer[] = [];
      for (let offset = 0; offset < bytes.length || parts.length === 0; offset += 255) {
        const chunk = bytes.subarray(offset, offset + 255);
        parts.push(Buffer.from([chunk.length]), chunk);
      }
      return Buffer.concat(parts);
    }
  }
}

function uint16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16BE(value, 0);
  return buffer;
}

function writeName(name: string): Buffer {
  const labels = name.split('.').filter((label) => label !== '');
  return Buffer.concat([
    ...labels.map((label) => {
      const bytes = Buffer.from(label, 'utf8');
      return Buffer.concat([Buffer.from([bytes.length]), bytes]);
    }),
    Buffer.from([0]),
  ]);
}

/** Reads a (possibly compressed) name; `next` is the offset after it in the original position. */
function readName(packet: Buffer, start: number): { name: string; next: number } {
  const labels: string[] = [];
  let offset = start;
  let next = -1;
  for (let jumps = 0; jumps < 32; ) {
    if (offset >= packet.length) throw new DnsWireError('A name runs past the end of the message.');
    const length = packet[offset] as number;
    if (length === 0) {
      return { name: labels.join('.'), next: next === -1 ? offset + 1 : next };
    }
    if ((length & 0xc0) === 0xc0) {
      if (offset + 1 >= packet.length) throw new DnsWireError('A compression pointer is cut short.');
      if (next === -1) next = offset + 2;
      offset = ((length & 0x3f) << 8) | (packet[offset + 1] as number);
      jumps += 1;
      continue;
    }
    if (length > 63) throw new DnsWireError('A label is longer than 63 bytes.');
    labels.push(packet.toString('utf8', offset + 1, offset + 1 + length));
    offset += 1 + length;
  }
  throw new DnsWireError('Too many compression pointers.');
}
