import { describe, expect, it } from 'vitest';
import {
  createRedactor,
  parseApiErrorMessage,
  providerError,
  TransportError,
  toProviderError,
} from '../../../src/providers/replicate/errors.js';

const TOKEN = 'r8_errors-test-token-Abc123def456ghi789';
/** The 401 body recorded from the real API (replicate-python cassette run__invalid-token.yaml). */
const RECORDED_401 =
  '{"title":"Unauthenticated","detail":"You did not pass a valid authentication token","status":401}\n';

describe('token redaction', () => {
  const redact = createRedactor([TOKEN]);

  it('keeps the recorded 401 detail readable, status and all', () => {
    const { status, detail } = parseApiErrorMessage(
      `Request to https://api.replicate.com/v1/predictions failed with status 401 Unauthorized: ${RECORDED_401}.`,
    );
    const error = toProviderError(
      new TransportError({ message: 'x', status, detail, retryable: false, maybeProcessed: false }),
      'creating the prediction',
      { model: 'stability-ai/sdxl', predictionId: undefined },
      redact,
    );
    expect(error.message).toBe(
      'replicate: stability-ai/sdxl: creating the prediction failed: You did not pass a valid authentication token [HTTP 401]',
    );
  });

  it('still removes the token, other r8_ tokens and credentials after an auth scheme', () => {
    const text = redact(
      `key ${TOKEN}; header Authorization: Bearer r8_Other0000000000000000; Token abcdef1234567890; bearer ey.J9x-k_2w==`,
    );
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('r8_Other');
    expect(text).not.toContain('abcdef1234567890');
    expect(text).not.toContain('ey.J9x-k_2w');
    expect(text).toBe(
      'key [redacted]; header Authorization: Bearer [redacted]; Token [redacted]; bearer [redacted]',
    );
  });

  it('leaves prose about tokens alone', () => {
    for (const prose of [
      'You did not pass an authentication token',
      'the token provided has expired',
      'Token limit reached [HTTP 429]',
      'max output token count 4096',
    ]) {
      expect(redact(prose)).toBe(prose);
    }
    const error = providerError('X', 'bad token [HTTP 401]', { model: 'm/n' }, redact);
    expect(error.message).toBe('replicate: m/n: bad token [HTTP 401]');
  });
});
