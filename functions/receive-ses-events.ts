import { sesEventHandler } from '../shared/composition/ses-events.js';

/**
 * The target of the stack's rule on the default bus (source `aws.ses`): an SES email event's
 * feedback goes onto the feedback queue under the tenant its tags name; a tenant's `Sending
 * Status Disabled/Enabled` pauses or resumes its card. Throws only when the queue or the card
 * write failed, so Lambda delivers the event again (then its dead-letter queue).
 */
export const handler = sesEventHandler();
