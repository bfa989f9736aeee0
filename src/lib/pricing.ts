/**
 * Public AWS prices behind the `GET /stats` cost estimate, kept in this one file so a price change is one
 * edit. Prices as published for us-east-1, read 2026-11; check before relying on them
 * (https://aws.amazon.com/step-functions/pricing/, https://aws.amazon.com/lambda/pricing/).
 * Free tiers are left out: the estimate is what the work costs, not what one account is billed.
 */

/** When the prices below were read from the public price pages. */
export const PRICES_READ = '2026-11';
export const PRICES_REGION = 'us-east-1';
export const PRICES_NOTE = 'prices as published for us-east-1, read 2026-11; check before relying on them';

/** Step Functions Standard: $0.025 per 1,000 state transitions. */
export const SFN_STANDARD_USD_PER_TRANSITION = 0.025 / 1_000;

/** Lambda requests: $0.20 per 1M requests. */
export const LAMBDA_USD_PER_REQUEST = 0.2 / 1_000_000;

/** Lambda compute on arm64 (what serverless.ts deploys), first pricing tier: $0.0000133334 per GB-second. */
export const LAMBDA_ARM64_USD_PER_GB_SECOND = 0.0000133334;
