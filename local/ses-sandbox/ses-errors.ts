/** Error shapes of the SESv2 model the sandbox answers with (each is a shape in model/sesv2.smithy.json). */
export type SesErrorName =
  | 'AccountSuspendedException'
  | 'AlreadyExistsException'
  | 'BadRequestException'
  | 'ConflictException'
  | 'LimitExceededException'
  | 'MailFromDomainNotVerifiedException'
  | 'MessageRejected'
  | 'NotFoundException'
  | 'SendingPausedException'
  | 'TooManyRequestsException';

/** An SES error an operation answers; the HTTP status comes from the shape's `smithy.api#httpError`. */
export class SesError extends Error {
  override readonly name = 'SesError';

  constructor(
    readonly errorName: SesErrorName,
    message: string,
  ) {
    super(message);
  }
}
