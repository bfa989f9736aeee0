import { PHASES } from '../../../src/lib/job';
import { actionStep } from '../../../src/steps/action';
import { collectionStep } from '../../../src/steps/collection';
import { processingStep } from '../../../src/steps/processing';
import { defaultSteps } from '../../../src/steps/registry';
import { reportStep } from '../../../src/steps/report';

describe('defaultSteps', () => {
  it('maps every phase to its step', () => {
    expect(Object.keys(defaultSteps).sort()).toEqual([...PHASES].sort());
    expect(defaultSteps).toEqual({ collection: collectionStep, processing: processingStep, report: reportStep, action: actionStep });
  });
});
