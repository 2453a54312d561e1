import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { reuseSigners, tunedAwsClient } from '../../shared/aws-client-tuning.js';

/** What the test reads of a request the SDK hands to its HTTP handler. */
interface HttpRequest {
  headers: Record<string, string>;
}

/** A DynamoDB client whose requests never leave the process: each is recorded, signed, and answered `{}`. */
function recordingClient(credentials: () => Promise<{ accessKeyId: string; secretAccessKey: string }>) {
  const sent: HttpRequest[] = [];
  const client = new DynamoDBClient({
    region: 'eu-central-1',
    credentials,
    requestHandler: {
      handle: async (request: HttpRequest) => {
        sent.push(request);
        return {
          response: {
            statusCode: 200,
            headers: { 'content-type': 'application/x-amz-json-1.0' },
            body: Readable.from(['{}']),
          },
        };
      },
    } as never,
  });
  return { client, sent };
}

const get = () => new GetItemCommand({ TableName: 'ledger', Key: { sendKey: { S: 'tenant-a#m-1' } } });

describe('reuseSigners', () => {
  it('builds the SDK’s signer once and signs every request with it', async () => {
    const { client, sent } = recordingClient(async () => ({ accessKeyId: 'AKIDFIRST', secretAccessKey: 'secret' }));
    const build = client.config.signer;
    let built = 0;
    client.config.signer = (authScheme) => {
      built += 1;
      return build(authScheme);
    };
    reuseSigners(client);
    for (let call = 0; call < 3; call += 1) await client.send(get());
    expect(built).toBe(1);
    expect(sent).toHaveLength(3);
    for (const request of sent) {
      expect(request.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDFIRST\/\d{8}\/eu-central-1\/dynamodb\/aws4_request, SignedHeaders=.+, Signature=[0-9a-f]{64}$/,
      );
    }
  });

  it('signs with refreshed credentials when they expire, and with new ones set on the client', async () => {
    let accessKeyId = 'AKIDFIRST';
    // Expiring within the SDK's refresh window: the provider is asked again for every request.
    const expiring = async () => ({ accessKeyId, secretAccessKey: 'secret', expiration: new Date(Date.now() + 1_000) });
    const { client, sent } = recordingClient(expiring);
    reuseSigners(client);
    await client.send(get());
    accessKeyId = 'AKIDSECOND';
    await client.send(get());
    client.config.credentials = async () => ({ accessKeyId: 'AKIDTHIRD', secretAccessKey: 'secret' });
    await client.send(get());
    expect(sent.map((request) => request.headers.authorization?.match(/Credential=(\w+)\//)?.[1])).toEqual([
      'AKIDFIRST',
      'AKIDSECOND',
      'AKIDTHIRD',
    ]);
  });
});

describe('tunedAwsClient', () => {
  it('leaves the client’s configuration as it was and its requests signed', async () => {
    const { client, sent } = recordingClient(async () => ({ accessKeyId: 'AKIDFIRST', secretAccessKey: 'secret' }));
    const keys = Object.keys(client.config).sort();
    tunedAwsClient(client);
    expect(Object.keys(client.config).sort()).toEqual(keys);
    expect(await client.config.region()).toBe('eu-central-1');
    await client.send(get());
    expect(sent[0]?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDFIRST\/\d{8}\/eu-central-1\/dynamodb\//,
    );
  });

  it('turns the configuration the SDK copies on every request into a fast (not hash-table) object', () => {
    // Only V8's own test syntax can tell an object's mode, so this is asked of a process of its own.
    const tuning = fileURLToPath(new URL('../../shared/aws-client-tuning.ts', import.meta.url));
    const script = `
      import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
      const { tunedAwsClient } = await import(${JSON.stringify(tuning)});
      const built = () => new DynamoDBClient({ region: 'eu-central-1' });
      const tuned = tunedAwsClient(built()).config;
      console.log(JSON.stringify({ built: %HasFastProperties(built().config), tuned: %HasFastProperties(tuned) }));`;
    const child = spawnSync(
      process.execPath,
      ['--allow-natives-syntax', '--import', 'tsx', '--input-type=module', '--eval', script],
      { encoding: 'utf8' },
    );
    expect(child.status, child.stderr).toBe(0);
    // The SDK's own configuration is a hash table; the tuned one is not.
    expect(JSON.parse(child.stdout)).toEqual({ built: false, tuned: true });
  });
});
