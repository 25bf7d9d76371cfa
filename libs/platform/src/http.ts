/**
 * The HTTP edge every service shares, one concern a file under `http/`: errors rendered for the
 * caller (`errors.ts`), the drainable app (`service-app.ts`), the browser guard (`origin.ts`),
 * JSON bodies validated with zod (`body.ts`), calendar dates in requests (`dates.ts`), the shared
 * routes (`app.ts`) and serving with a graceful shutdown (`server.ts`).
 */
export { createServiceApp, type Readiness, type ServiceAppOptions } from "./http/app.ts";
export { describeIssues, formatPath, parseJson } from "./http/body.ts";
export { calendarDate } from "./http/dates.ts";
export { ApiError, echo, type FieldIssue, MAX_ECHO_CHARS } from "./http/errors.ts";
export { browserGuard, originAllowed } from "./http/origin.ts";
export { startServer } from "./http/server.ts";
export { ServiceApp } from "./http/service-app.ts";
