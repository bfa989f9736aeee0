/** Which step runs a phase. The task Lambda looks the handler up here by the calculator's phase. */
import type { StepRegistry } from '../lib/steps';
import { actionStep } from './action';
import { collectionStep } from './collection';
import { processingStep } from './processing';
import { reportStep } from './report';

export const defaultSteps: StepRegistry = {
  collection: collectionStep,
  processing: processingStep,
  report: reportStep,
  action: actionStep,
};
