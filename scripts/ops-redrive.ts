import { join, resolve } from 'node:path';
import { LOCAL_AWS_ENVIRONMENT, serviceTables, startLocalDynamoDb } from '../local/dynamodb-local.js';
import { LOCAL_SEND_QUEUE_FILE_NAME, LocalSendQueueFile } from '../local/local-send-queue-file.js';
import {
  type DeadLetterQueue,
  REDRIVE_BY_LEDGER_STATE,
  type RedriveSummary,
  SqsDeadLetterQueue,
  summarizeDeadLetters,
} from '../shared/sending/dead-letter-redrive.js';
import { SendLedger } from '../shared/sending/send-ledger.js';

/** Where `npm run ops -- redrive` works: a dead-letter queue, and the send ledger to show where sends stand. */
export interface RedriveTarget {
  deadLetters: DeadLetterQueue;
  ledger?: Pick<SendLedger, 'get'>;
  close(): Promise<void>;
}

/** What the command prints and asks through. */
export interface RedriveIo {
  out(text: string): void;
  err(text: string): void;
  confirm?(question: string): Promise<boolean>;
}

/**
 * `npm run ops -- redrive`: shows what the dead-letter queue holds (count, tenants, where their
 * sends stand in the ledger; never an address) and, with `--yes` or a confirmation, moves every
 * message back to the send queue. The ledger is not touched: each redriven message meets the
 * same claim as any delivery, so nothing settled is sent again (see REDRIVE_BY_LEDGER_STATE).
 */
export async function redrive(
  target: RedriveTarget,
  flags: { json: boolean; yes: boolean },
  io: RedriveIo,
): Promise<number> {
  const letters = await target.deadLetters.list();
  const summary = await summarizeDeadLetters(letters, target.ledger);
  io.out(`${flags.json ? JSON.stringify(summary, null, 2) : describeSummary(target.deadLetters.describe, summary)}\n`);
  if (summary.count === 0) return 0;
  const question = `Move ${summary.count} message(s) back to the send queue?`;
  let go = flags.yes;
  if (!go && io.confirm) go = await io.confirm(question);
  else if (!go) io.err(`${question}\nNot moved: this was a dry run. Add --yes to move them.\n`);
  if (!go) return 3;
  const moved = await target.deadLetters.moveAll();
  io.out(flags.json ? `${JSON.stringify({ moved })}\n` : `Moved ${moved} message(s) back to the send queue.\n`);
  return 0;
}

function describeSummary(where: string, summary: RedriveSummary): string {
  const lines = [`${summary.count} message(s) in ${where}.`];
  for (const [tenant, count] of Object.entries(summary.tenants).sort()) lines.push(`  tenant ${tenant}: ${count}`);
  if (summary.ledgerStates) {
    lines.push('Where their sends stand, and what a redrive does with them:');
    for (const [state, count] of Object.entries(summary.ledgerStates).sort()) {
      lines.push(`  ${state} (${count}): ${REDRIVE_BY_LEDGER_STATE[state as keyof typeof REDRIVE_BY_LEDGER_STATE]}`);
    }
  }
  return lines.join('\n');
}

/** Where `redrive` works: a deployed queue pair given by URL, else the local runtime's dead letters. */
export async function openRedriveTarget(values: Record<string, unknown>): Promise<RedriveTarget> {
  const text = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const queueUrl = text('queue-url');
  const deadLetterQueueUrl = text('dlq-url');
  if (queueUrl || deadLetterQueueUrl) {
    if (!queueUrl || !deadLetterQueueUrl) throw new Error('redrive needs both --queue-url and --dlq-url.');
    const { SQSClient } = await import('@aws-sdk/client-sqs');
    const ledgerTable = text('ledger-table');
    return {
      deadLetters: new SqsDeadLetterQueue({ queueUrl, deadLetterQueueUrl, client: new SQSClient({}) }),
      ...(ledgerTable ? { ledger: new SendLedger({ tableName: ledgerTable }) } : {}),
      close: async () => undefined,
    };
  }
  // The local runtime's dead letters live in a file of its data folder, readable while it runs.
  Object.assign(process.env, LOCAL_AWS_ENVIRONMENT);
  const dataDir = resolve(text('data-dir') ?? process.env.DATA_DIR ?? '.local-data');
  const deadLetters = new LocalSendQueueFile(join(dataDir, LOCAL_SEND_QUEUE_FILE_NAME));
  const endpoint = text('endpoint');
  if (endpoint) {
    const tableName = text('ledger-table') ?? (serviceTables().sendLedger.TableName as string);
    return {
      deadLetters,
      ledger: new SendLedger({ tableName, clientConfig: { endpoint } }),
      close: async () => undefined,
    };
  }
  try {
    const dynamo = await startLocalDynamoDb({ dataDir, tables: serviceTables() });
    return {
      deadLetters,
      ledger: new SendLedger({
        tableName: dynamo.tables.sendLedger as string,
        clientConfig: { endpoint: dynamo.endpoint },
      }),
      close: () => dynamo.close(),
    };
  } catch {
    // npm start holds the data folder: list without ledger states (or pass --endpoint).
    return { deadLetters, close: async () => undefined };
  }
}
