import { BlockedDestinationError } from '../../../src/lib/errors';
import { parseJob, PHASES } from '../../../src/lib/job';
import { actionStep } from '../../../src/steps/action';
import { collectionStep } from '../../../src/steps/collection';
import { processingStep } from '../../../src/steps/processing';
import { createSteps, defaultSteps } from '../../../src/steps/registry';
import { reportStep } from '../../../src/steps/report';
import { contextFor, LOOPBACK_GUARD, schedule, startServer } from './fixtures';

describe('defaultSteps', () => {
  it('maps every phase to its step', () => {
    expect(Object.keys(defaultSteps).sort()).toEqual([...PHASES].sort());
    expect(defaultSteps).toEqual({ collection: collectionStep, processing: processingStep, report: reportStep, action: actionStep });
  });
});

describe('createSteps', () => {
  it('maps every phase to a step that calls out through the given guard, where defaultSteps refuse loopback', async () => {
    const server = await startServer((_, res) => res.end('ok'));
    try {
      const job = parseJob({ id: 'hook-1', startDateTime: '2024-12-04T10:00:00Z', action: { type: 'webhook', url: `${server.url}/hook` } });
      const steps = createSteps({ guard: LOOPBACK_GUARD });

      const { result } = await steps.action(contextFor(job, schedule(0, 1, 'action')));

      expect(Object.keys(steps).sort()).toEqual([...PHASES].sort());
      expect(result).toMatchObject({ statusCode: 200 });
      await expect(defaultSteps.action(contextFor(job, schedule(0, 1, 'action')))).rejects.toThrow(BlockedDestinationError);
      expect(server.requests).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});
