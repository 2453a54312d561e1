import { SuppressionList } from '../suppression/suppression-list.js';
import { suppressionTableSettings, type TableSettings } from './environment.js';
import { dynamoClientConfig } from './store.js';

/**
 * The tenants' suppression lists (`SUPPRESSION_TABLE_NAME`): the routes, the send path's screening
 * and the feedback applier's `suppress` (hard bounces and complaints) all use this one.
 */
export function suppressionList(settings: TableSettings = suppressionTableSettings()): SuppressionList {
  return new SuppressionList({ tableName: settings.tableName, clientConfig: dynamoClientConfig(settings) });
}
