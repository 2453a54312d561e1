import { Duration, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnStage,
  CorsHttpMethod,
  HttpApi,
  type HttpMethod,
  HttpNoneAuthorizer,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface ServiceHttpApiProps {
  jwtIssuer: string;
  jwtAudience: string[];
  corsOrigins: string[];
  /** Route key ("POST /integrations/sendgrid/verify") → the function serving it. */
  routes: Array<{ method: string; path: string; function: IFunction }>;
  /** Route keys with a tighter throttle than the stage's default. */
  tightRoutes: string[];
  /** Route keys a provider calls: no JWT authorizer (they check their caller themselves), a throttle of their own. */
  publicRoutes?: string[];
}

/** Steady rate and burst for the whole stage; verify gets far less (it calls SendGrid with the pasted key). */
const STAGE_THROTTLE = { rateLimit: 50, burstLimit: 100 };
const TIGHT_THROTTLE = { ThrottlingRateLimit: 2, ThrottlingBurstLimit: 5 };
/** SendGrid posts a batch every 30 s per server, more at volume: room for that, not for a flood. */
const PUBLIC_THROTTLE = { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 };

/**
 * The console's HTTP API: every route behind the JWT authorizer (the tenant comes only from the
 * token's claims), CORS for the configured origins only, stage throttling — tight on verify, so
 * the service is no oracle for testing stolen keys — and JSON access logs without headers or bodies.
 */
export class ServiceHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;

  constructor(scope: Construct, id: string, props: ServiceHttpApiProps) {
    super(scope, id);
    const authorizer = new HttpJwtAuthorizer('Jwt', props.jwtIssuer, { jwtAudience: props.jwtAudience });
    this.api = new HttpApi(this, 'Api', {
      description: 'email-integrations: connect and use a tenant’s own SendGrid account',
      createDefaultStage: false,
      defaultAuthorizer: authorizer,
      corsPreflight: {
        allowOrigins: props.corsOrigins,
        allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.PUT, CorsHttpMethod.POST, CorsHttpMethod.DELETE],
        allowHeaders: ['authorization', 'content-type', 'if-match', 'if-none-match', 'idempotency-key'],
        exposeHeaders: ['etag', 'content-language', 'idempotent-replayed', 'retry-after'],
        maxAge: Duration.hours(1),
      },
    });
    const publicRoutes = new Set(props.publicRoutes ?? []);
    for (const route of props.routes) {
      const isPublic = publicRoutes.has(`${route.method} ${route.path}`);
      const [created] = this.api.addRoutes({
        path: route.path,
        methods: [route.method as HttpMethod],
        integration: new HttpLambdaIntegration(`${route.method}${route.path}`, route.function),
        ...(isPublic ? { authorizer: new HttpNoneAuthorizer() } : {}),
      });
      if (isPublic && created) {
        Validations.of(created).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            'A provider’s webhook (SendGrid Event Webhook) cannot carry our JWT: the function checks the provider’s signature with the tenant’s registered key and refuses everything else (403).',
        });
      }
    }

    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.THREE_MONTHS });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: STAGE_THROTTLE,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            routeKey: '$context.routeKey',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });
    const cfnStage = this.stage.node.defaultChild as CfnStage;
    cfnStage.addPropertyOverride(
      'RouteSettings',
      Object.fromEntries([
        ...props.tightRoutes.map((routeKey) => [routeKey, TIGHT_THROTTLE]),
        ...(props.publicRoutes ?? []).map((routeKey) => [routeKey, PUBLIC_THROTTLE]),
      ]),
    );
  }
}
