import { existsSync } from 'node:fs';

/** The reference material beside the repository (`../shared`): the provider documents the product is built against. */
const REFERENCE_FOLDER = new URL('../../shared/', import.meta.url);

/**
 * Where a sandbox reads a provider's document: the reference folder's own file when it is beside
 * the repository, so requests are judged by the documents themselves; otherwise (a clone on its
 * own, as in CI) the byte-for-byte copy kept in the repository.
 */
export function referenceDocument(pathInReference: string, copyInRepository: URL): URL {
  const reference = new URL(pathInReference, REFERENCE_FOLDER);
  return existsSync(reference) ? reference : copyInRepository;
}
