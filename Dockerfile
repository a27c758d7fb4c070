# syntax=docker/dockerfile:1
#
# One image for every node of the platform. Which services a container runs
# is chosen at start by the SERVICES env var (e.g. SERVICES=products,cart);
# see docker-compose.yml and k8s/.
#
#   docker build -t moleculer-shop:0.1.0 .
#   docker run --rm -p 3000:3000 -e JWT_SECRET=... -e ADMIN_PASSWORD=... moleculer-shop:0.1.0

ARG NODE_IMAGE=node:24-alpine

# ---- build: all dependencies, compile TypeScript to dist/, the storefront to web/dist/
FROM ${NODE_IMAGE} AS build
WORKDIR /app

# package.json "overrides" point at file:./scripts/empty-package, so npm ci
# needs that folder before anything else is copied.
COPY package.json package-lock.json ./
COPY scripts/empty-package/ scripts/empty-package/

# --ignore-scripts: the `node` devDependency (it gives hosts with an old node a
# node 24) would download a glibc node binary in its install script and link
# it as node_modules/.bin/node, which `npm run` puts first on PATH: on Alpine
# (musl) that binary cannot run. The image already is node 24, so skip the
# install scripts (no other package needs one to build) and drop any link.
RUN npm ci --ignore-scripts && rm -f node_modules/.bin/node

COPY . .
RUN npm run build

# ---- runtime: production dependencies and dist/ only ------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    SERVICEDIR=dist/services
WORKDIR /app

COPY package.json package-lock.json ./
COPY scripts/empty-package/ scripts/empty-package/
# Install scripts skipped here too: no production dependency needs one.
# data/ is the embedded-mode data dir (DATA_DIR, used only without MONGO_URI):
# the only place the non-root user may write.
RUN npm ci --omit=dev --ignore-scripts \
 && npm cache clean --force \
 && mkdir -p data \
 && chown node:node data

COPY --from=build /app/dist ./dist
# The storefront the gateway serves at / (WEB_DIR, relative to /app).
COPY --from=build /app/web/dist ./web/dist

# Code stays owned by root (read-only for the app); the app runs as `node`
# (uid 1000, which k8s/ states as runAsUser).
USER node

# PORT (gateway HTTP) and METRICS_PORT (Prometheus, every node).
EXPOSE 3000 3030

# Every node serves /metrics, so that is what the generic health check asks
# (no curl or wget needed: node itself makes the request). The gateway's
# compose/k8s checks use its /api/health routes instead.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "require('node:http').get('http://127.0.0.1:' + (process.env.METRICS_PORT || 3030) + '/metrics', (res) => process.exit(res.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1)).setTimeout(4000, () => process.exit(1))"]

# The same command as `npm start`, but node is PID 1 itself (not npm/sh), so
# SIGTERM reaches moleculer-runner, which stops the broker gracefully.
CMD ["node", "node_modules/moleculer/bin/moleculer-runner.js", "--config", "dist/moleculer.config.js"]
