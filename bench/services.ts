import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serviceTables, startLocalDynamoDb } from '../local/dynamodb-local.js';
import { startLocalEventBus } from '../local/local-event-bus.js';
import { startSink } from './sink.js';

/**
 * The benchmark's dependencies — dynalite (DynamoDB), the SendGrid sink and the local event bus — in a process of
 * their own, so their CPU is not charged to the pipeline or the floor being measured (in AWS
 * they are other machines). Prints one JSON line with their addresses; stops when stdin closes.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'email-integrations-bench-'));
const dynamo = await startLocalDynamoDb({
  dataDir: process.env.BENCH_DYNAMO_ON_DISK ? dataDir : undefined,
  tables: serviceTables({
    integrations: 'bench-integrations',
    sendLedger: 'bench-send-ledger',
    sesDomains: 'bench-ses-domains',
  }),
});
const sink = await startSink();
// The service's bus: every send announces its outcome there, as in the stack.
const bus = await startLocalEventBus();
process.stdout.write(
  `${JSON.stringify({ dynamoEndpoint: dynamo.endpoint, sinkUrl: sink.url, eventBusUrl: bus.url })}\n`,
);
process.stdin.resume();
process.stdin.on('end', async () => {
  await sink.close();
  await bus.close();
  await dynamo.close();
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
});
