import { MessageHistory } from '../sending/message-history.js';
import { sendLedgerTableSettings, type TableSettings } from './environment.js';
import { dynamoClientConfig } from './store.js';

/** The tenant's message history, read from the send ledger (`SEND_LEDGER_TABLE_NAME`). */
export function messageHistory(settings: TableSettings = sendLedgerTableSettings()): MessageHistory {
  return new MessageHistory({ tableName: settings.tableName, clientConfig: dynamoClientConfig(settings) });
}
