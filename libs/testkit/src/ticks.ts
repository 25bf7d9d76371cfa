/** The record builders live in the contract, below every package; tests take them from here. */
export { edgeTick, SAMPLE_HOUR_US, sampleBar, sampleTick } from "@repo/contracts/fixtures";
