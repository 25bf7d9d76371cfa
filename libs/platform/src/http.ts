/**
 * The HTTP edge every service shares, one concern a file under `http/`: errors rendered for the
 * caller (`errors.ts`), the drainable app (`service-app.ts`), the browser guard (`origin.ts`),
 * JSON bodies validated with zod and limited in size (`body.ts`), calendar dates in requests
 * (`dates.ts`), the shared routes (`app.ts`),
 * what `/readyz` answers (`readiness.ts`), the 400s and 503s routes answer (`route-errors.ts`)
 * and serving with a graceful shutdown (`server.ts`).
 */
export {
  type AppBaseOptions,
  appBase,
  createServiceApp,
  type HttpLimits,
  httpLimits,
  type ServiceAppOptions,
} from "./http/app.ts";
export {
  DEFAULT_MAX_BODY_BYTES,
  describeIssues,
  formatPath,
  limitBody,
  parseJson,
} from "./http/body.ts";
export { calendarDate } from "./http/dates.ts";
export { ApiError, echo, type FieldIssue, MAX_ECHO_CHARS } from "./http/errors.ts";
export { browserGuard, originAllowed } from "./http/origin.ts";
export {
  type Check,
  type ConsumingServiceDeps,
  consumingServiceReadiness,
  createReadinessWatch,
  type Probe,
  type Readiness,
  type ReadinessOptions,
  type ReadinessWatch,
  readinessOf,
} from "./http/readiness.ts";
export {
  invalidParameter,
  invalidParameters,
  type ParameterRefusal,
  storeReads,
} from "./http/route-errors.ts";
export { startServer } from "./http/server.ts";
export { ServiceApp } from "./http/service-app.ts";
