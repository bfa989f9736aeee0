/** Structured JSON logs (seed 004), one logger per process. */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: 'step-scheduler' });
