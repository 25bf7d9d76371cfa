/** The runner's one retrier is the platform's, shared with analytics: see {@link createSteps}. */
export { createSteps, type StepOptions, type Steps, Stopped } from "@repo/platform/steps";
