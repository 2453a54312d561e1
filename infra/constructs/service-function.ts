import { fileURLToPath } from 'node:url';
import { Duration, Validations } from 'aws-cdk-lib';
import { type PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRIC_NAMESPACE, METRIC_SERVICE_NAME } from '../../shared/observability/metric-names.js';
import { BUNDLE_SETTINGS } from '../bundling/bundle-settings.js';

/** The repository root, where `functions/` and the lock file are. */
const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface ServiceFunctionProps {
  /** The file in `functions/` (without `.ts`). */
  handler: string;
  description: string;
  environment: Record<string, string>;
  /** Everything the function may do besides writing its own logs. */
  statements: PolicyStatement[];
  timeout?: Duration;
  memorySize?: number;
}

/**
 * One Lambda function of the service: Node.js 24 on arm64, bundled by esbuild (minified CommonJS,
 * source maps, the runtime's AWS SDK), its own log group
 * with retention, and its own role holding only the statements given — no managed policies.
 */
export class ServiceFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    const logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `email-integrations ${props.handler}: least privilege`,
    });
    logGroup.grantWrite(this.role);
    for (const statement of props.statements) this.role.addToPolicy(statement);

    this.function = new NodejsFunction(this, 'Function', {
      entry: `${projectRoot}functions/${props.handler}.ts`,
      handler: 'handler',
      projectRoot,
      depsLockFilePath: `${projectRoot}package-lock.json`,
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup,
      // X-Ray traces every invocation and its AWS calls' timing without a tracing library in the
      // bundle (Powertools Tracer would add ~125 KB and ~90 ms to each cold start: docs/performance.md).
      tracing: Tracing.ACTIVE,
      environment: {
        POWERTOOLS_SERVICE_NAME: METRIC_SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE,
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        minify: true,
        sourceMap: true,
        target: BUNDLE_SETTINGS.target,
        // CommonJS output: the runtime's AWS SDK then loads from its single-file CJS builds, which
        // takes half the time of its ESM builds' hundreds of files (docs/performance.md).
        format: OutputFormat.CJS,
        mainFields: ['module', 'main'],
        // The runtime's AWS SDK keeps every bundle under 400 KB and cold starts short (docs/performance.md).
        externalModules: [...BUNDLE_SETTINGS.external],
        esbuildArgs: Object.fromEntries(
          Object.entries(BUNDLE_SETTINGS.alias).map(([name, path]) => [`--alias:${name}`, path]),
        ),
      },
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions.',
    });
  }
}
