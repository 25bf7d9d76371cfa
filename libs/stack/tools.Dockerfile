# syntax=docker/dockerfile:1
# Build from the repository root: docker build -f libs/stack/tools.Dockerfile .
# The one-shot set-up tools compose runs before the services: `bun run cql:migrate` and
# `bun run schemas:push`. Only what they read goes in: the root manifest and lockfile, the
# platform, contracts, registry, provision and cassandra libraries, cql/ and schemas/; dependencies
# come from bun.lock.
FROM oven/bun:1.4.5
ENV NODE_ENV=production
WORKDIR /repo
COPY package.json bun.lock tsconfig.json ./
COPY libs/platform ./libs/platform
COPY libs/contracts ./libs/contracts
COPY libs/registry ./libs/registry
COPY libs/provision ./libs/provision
# Only its manifest matters: the registry's tests use it, and bun wants every workspace a copied
# one names on disk. Its dependencies are not installed (--filter, --production).
COPY libs/testkit/package.json ./libs/testkit/package.json
COPY libs/cassandra ./libs/cassandra
COPY cql ./cql
COPY schemas ./schemas
RUN bun install --frozen-lockfile --production --ignore-scripts \
      --filter @repo/cassandra --filter @repo/provision
USER bun
CMD ["bun", "run", "schemas:push"]
