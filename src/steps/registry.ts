/** Which step runs a phase. The task Lambda looks the handler up here by the calculator's phase. */
import type { FilesDir } from '../adapters/files-dir';
import type { NetGuard } from '../adapters/guarded-http';
import type { StepRegistry } from '../lib/steps';
import type { TargetSender } from '../lib/targets';
import { actionStep, createActionStep, DEFAULT_ACTION_OPTIONS } from './action';
import { collectionStep, createCollectionStep } from './collection';
import { DEFAULT_READ_LIMITS } from './data-source';
import { createProcessingStep, processingStep } from './processing';
import { createReportStep, reportStep } from './report';

/** The steps with default limits and the strictest guard: public addresses only. */
export const defaultSteps: StepRegistry = {
  collection: collectionStep,
  processing: processingStep,
  report: reportStep,
  action: actionStep,
};

/**
 * The steps with default limits, calling out through the given webhook guard (its allow-list opens
 * exceptions, such as 127.0.0.1 for local testing), and reading `file:` sources only inside `files`.
 * @example createSteps({ guard: new NetGuard({ allowList: parseAllowList('127.0.0.1') }) })
 */
export function createSteps(options: { guard: NetGuard; files?: FilesDir; targets?: TargetSender }): StepRegistry {
  const limits = { ...DEFAULT_READ_LIMITS, guard: options.guard, ...(options.files ? { files: options.files } : {}) };
  return {
    collection: createCollectionStep(limits),
    processing: createProcessingStep(limits),
    report: createReportStep(limits),
    action: createActionStep({ ...DEFAULT_ACTION_OPTIONS, guard: options.guard, ...(options.targets ? { targets: options.targets } : {}) }),
  };
}
