import { describe, expect, it } from 'vitest';
import { referenceDocument } from '../../local/reference-documents.js';

describe('referenceDocument', () => {
  it('falls back to the copy in the repository when the reference folder has no such document', () => {
    const copy = new URL('../../local/ses-sandbox/model/sesv2.smithy.json', import.meta.url);
    expect(referenceDocument('ses/no-such-model.json', copy)).toBe(copy);
  });
});
