import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tunedAwsClient } from './aws-client-tuning.js';

/**
 * The document client every table store builds when none is injected: plain JavaScript values in
 * and out, and attributes given as `undefined` left out of the item instead of refused.
 */
export function documentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(tunedAwsClient(new DynamoDBClient(config)), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/**
 * A low-level client for the writes every send makes (the ledger's claim and settle): its
 * commands resolve their middleware once per command class (`cacheMiddleware`) instead of on
 * every call, which was about a fifth of a write's CPU and allocations. The document client
 * cannot do this (it adds its marshalling middleware per command), so callers marshal themselves.
 */
export function cachedMiddlewareClient(config: DynamoDBClientConfig = {}): DynamoDBClient {
  return tunedAwsClient(new DynamoDBClient({ ...config, cacheMiddleware: true }));
}
