/** What of the SDK's auth scheme names a signer's scope. */
interface SigningScope {
  name?: string;
  signingRegion?: string;
  signingName?: string;
}

/** The part of an AWS SDK v3 client this module works on: its resolved SigV4 signer provider. */
interface SigningClient {
  config: { signer: (authScheme?: never) => Promise<unknown>; credentials?: unknown };
}

/**
 * Makes an AWS SDK client reuse its SigV4 signer. Without a `signer` of its own, a client builds a
 * new one for every request: it copies the whole client configuration into it and, since a
 * signer caches its signing keys per instance, derives the signing key again (four HMACs). Here
 * the SDK's own signer is built once per signing scope (region, service) and kept: it asks the
 * client's credentials provider on every request (so expiring credentials still refresh), and the
 * clock-skew correction comes with every request. On the send path this is several per cent of
 * a DynamoDB write's CPU.
 */
export function reuseSigners<Client extends SigningClient>(client: Client): Client {
  const build = client.config.signer as (authScheme?: SigningScope) => Promise<unknown>;
  const signers = new Map<string, { credentials: unknown; signer: Promise<unknown> }>();
  const reused = (authScheme?: SigningScope) => {
    const scope = `${authScheme?.name}|${authScheme?.signingRegion}|${authScheme?.signingName}`;
    const { credentials } = client.config;
    let kept = signers.get(scope);
    // A signer holds the credentials provider it was built with: one set on the client since gets a new signer.
    if (!kept || kept.credentials !== credentials) {
      kept = { credentials, signer: build(authScheme) };
      signers.set(scope, kept);
      // A signer that could not be built (no region yet) is tried again next time.
      kept.signer.catch(() => signers.delete(scope));
    }
    return kept.signer;
  };
  client.config.signer = reused;
  return client;
}
