import { describe, expect, it } from 'vitest';
import { isTextKey, text } from '../../local/console/console-texts.js';
import { SEND_OUTCOMES } from '../../shared/sending/send-outcomes.js';

/** The codes a message in a tenant's Activity can have failed with: the permanent send outcomes it is recorded with. */
const RECORDED_CODES = Object.entries(SEND_OUTCOMES)
  .filter(([code, outcome]) => outcome.disposition === 'permanent' && code !== 'untrusted_event')
  .map(([code]) => code);

describe('the console’s failure texts', () => {
  it.each(RECORDED_CODES)('words %s in English and in German', (code) => {
    const key = `failure_${code}`;
    expect(isTextKey(key), key).toBe(true);
    if (!isTextKey(key)) return;
    expect(text('en', key)).not.toBe('');
    expect(text('de', key)).not.toBe(text('en', key));
  });

  it('has words for a code it does not know yet, in both languages', () => {
    expect(text('en', 'failure_other')).toBe('The message could not be sent.');
    expect(text('de', 'failure_other')).toBe('Die Nachricht konnte nicht gesendet werden.');
  });
});
