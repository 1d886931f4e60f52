import { cleanup, configure } from '@testing-library/react';
import { afterEach } from 'vitest';

// The machines that run these tests are small and shared: waiting for an element is bounded by
// correctness (it appears or the test fails), not by speed, so give queries room under load.
configure({ asyncUtilTimeout: 10_000 });

afterEach(() => cleanup());
