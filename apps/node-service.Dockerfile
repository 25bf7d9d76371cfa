# syntax=docker/dockerfile:1
# The image of each Node service (producer, consumer, api, analytics): the same three stages, the
# app and its port as build arguments. Build from the repository root:
#   docker build -f apps/node-service.Dockerfile --build-arg APP=consumer --build-arg PORT=3003 .
# (compose.yaml passes both.) librdkafka does not load in Bun, so each service is bundled with Bun
# and runs on Node 24 (LTS); the api's build also puts the dashboard in dist/public beside it.
# Ingest runs on Bun and has its own apps/ingest/Dockerfile.

FROM oven/bun:1.4.5 AS build
ARG APP
WORKDIR /repo
COPY . .
RUN test -n "$APP" && test -f "apps/$APP/package.json" \
 && bun install --frozen-lockfile --ignore-scripts \
 && cd "apps/$APP" && bun run build

# What the bundle keeps external (the librdkafka addon, the Cassandra driver), installed from
# bun.lock with its checksums, on the runtime's Node so the addon matches its ABI.
FROM node:24-bookworm-slim AS deps
ARG APP
COPY --from=oven/bun:1.4.5 /usr/local/bin/bun /usr/local/bin/bun
WORKDIR /repo
COPY . .
RUN bun install --frozen-lockfile --production --filter "@repo/$APP"

# The runtime: Node, the bundle and those dependencies; no sources, no build tools; not root.
FROM node:24-bookworm-slim
ARG APP
ARG PORT
ENV NODE_ENV=production HOST=0.0.0.0 PORT=${PORT}
WORKDIR /app
COPY --from=deps /repo/node_modules ./node_modules
COPY --from=deps /repo/apps/${APP}/node_modules ./apps/${APP}/node_modules
COPY --from=build /repo/apps/${APP}/dist ./apps/${APP}/dist
WORKDIR /app/apps/${APP}
USER node
EXPOSE ${PORT}
HEALTHCHECK --interval=5s --timeout=3s --retries=12 \
  CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--enable-source-maps", "dist/main.js"]
