# Firebreak image: one image for the API, the Temporal worker and the
# migration job. docker-compose.yml picks the process with `command:`.

# Node 24 is an LTS line supported until April 2028 (Node 20 reached its end of life in April 2026).
# Pinned to a patch release so every build gets the same runtime; raise it with each security release.
ARG NODE_IMAGE=node:24.11.1-bookworm-slim

# ---- Stage 1: compile TypeScript -------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app

# Install from the lockfile first so the dependency layer stays cached while
# only sources change.
COPY package.json package-lock.json ./
RUN npm ci

# .dockerignore keeps node_modules, dist and local state out of the context.
COPY . .
# The build also bundles the workflows once (dist/workflow-bundle), so workers start without webpack.
RUN npm run build

# ---- Stage 2: runtime ------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# In a container the API must listen on its interface, not on loopback (the process's own default):
# otherwise a published port or a proxy on the network reaches nothing.
ENV HOST=0.0.0.0
WORKDIR /app

# Production dependencies only. Native addons (Temporal core bridge) ship
# glibc prebuilds, which is why the base is Debian rather than Alpine.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

# dist/ holds the prebuilt workflow bundle too (dist/workflow-bundle): workers load it instead of
# bundling at every start. It must match this stage's code and production node_modules, or workers
# would fall back to bundling at start; the image is not built if it does not.
COPY --from=build /app/dist ./dist
RUN node -e "const r = require('./dist/src/worker/prebuilt-bundle.js').loadPrebuiltBundle({}); if (!r.bundle) { console.error(r.reason); process.exit(1); }"
# Migrations are plain .js files loaded at run time, not compiled by tsc, so
# they keep their source location next to dist/.
COPY --from=build /app/src/db/migrations ./src/db/migrations
# npm scripts (create-key, replay) run the build through scripts/run-built.js.
COPY --from=build /app/scripts ./scripts

# Files stay root-owned (read-only to the app); the process runs unprivileged.
USER node

# Default process; compose overrides it for the worker and migrations.
CMD ["node", "dist/src/api/server.js"]
