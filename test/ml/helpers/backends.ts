/**
 * Backend lists for tests that compare backends: the fixed ones a test names,
 * plus the backend under test (W2S_BACKEND) when it is another, so the native
 * pass (W2S_BACKEND=tensorflow) holds libtensorflow to the same fixtures.
 */
export function withBackendUnderTest(backends: readonly string[]): string[] {
  const tested = process.env.W2S_BACKEND?.trim();
  return tested && !backends.includes(tested) ? [...backends, tested] : [...backends];
}
