# tinytask-mcp production image.
#
#   docker build -t tinytask-mcp:latest .
#   docker run -d -p 3000:3000 -v "$PWD/data:/data" tinytask-mcp:latest     (chown 10001:10001 data first)
#
# Two stages on Debian 12 (glibc; uWebSockets.js ships no musl binaries, so Alpine is not an option):
#   builder  compiles TypeScript and better-sqlite3, then prunes to production dependencies for this platform;
#   runtime  the base image plus dumb-init, the compiled code and the pruned node_modules, running as uid 10001.
# See docs/deployment.md.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS builder
WORKDIR /app
# Toolchain for better-sqlite3 when no prebuilt binary fits; dumb-init is copied into the runtime stage.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ dumb-init \
 && rm -rf /var/lib/apt/lists/*
# Dependencies before sources: this layer is rebuilt only when the lockfile changes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/copy-assets.mjs ./scripts/
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && npm cache clean --force
# Keep only what this platform loads at run time: the one uWebSockets.js binary for this OS, CPU and Node ABI
# (the package ships all of them), the prebuilt addons for this platform, better-sqlite3's compiled addon
# without its sources and object files, and no TypeScript sources, type declarations, source maps, docs or
# tests (licence files stay). Then fail the build if either native module does not load: uWebSockets.js would
# otherwise fall back silently to its slow JavaScript implementation.
RUN abi="$(node -p 'process.platform + "_" + process.arch + "_" + process.versions.modules')" \
 && platform="$(node -p 'process.platform + "-" + process.arch')" \
 && find node_modules/uWebSockets.js/binaries -name '*.node' ! -name "uws_${abi}.node" -delete \
 && rm -rf node_modules/uWebSockets.js/dist/*.node node_modules/uWebSockets.js/docs \
 && find node_modules -mindepth 3 -maxdepth 4 -path '*/prebuilds/*' -type d -prune ! -name "${platform}" \
      -exec rm -rf {} + \
 && find node_modules -type f \( -name '*.ts' -o -name '*.cts' -o -name '*.mts' -o -name '*.map' \
      -o -iname '*.md' -o -iname '*.markdown' \) -delete \
 && for pkg in node_modules/*/ node_modules/@*/*/; do \
      rm -rf "${pkg}test" "${pkg}tests" "${pkg}__tests__" "${pkg}.github" "${pkg}docs" "${pkg}example" \
        "${pkg}examples" "${pkg}benchmark"; \
    done \
 && cd node_modules/better-sqlite3 \
 && rm -rf deps src build/deps build/Release/obj build/Release/obj.target build/Release/.deps \
      build/Release/sqlite3.a build/Release/test_extension.node build/Makefile build/*.mk build/config.gypi \
 && cd /app \
 && node -e "if (typeof require('uWebSockets.js').getParts !== 'function') { console.error('uWebSockets.js native binary did not load'); process.exit(1) }" \
 && node -e "const D = require('better-sqlite3'); new D(':memory:').close()"

FROM ${NODE_IMAGE} AS runtime
ARG VERSION=1.0.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="tinytask-mcp" \
      org.opencontainers.image.description="Task board shared by LLM agents over MCP (Streamable HTTP and stdio), SQLite-backed." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="docker.io/library/node:20-bookworm-slim"

# A fixed, unprivileged uid/gid (10001) that matches no usual host account; the data directory is its only
# writable place. Host directories mounted on /data must be owned by 10001:10001.
RUN groupadd --system --gid 10001 tinytask \
 && useradd --system --uid 10001 --gid tinytask --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin tinytask \
 && mkdir -p /data \
 && chown tinytask:tinytask /data \
 && chmod 0750 /data
COPY --from=builder /usr/bin/dumb-init /usr/bin/dumb-init

WORKDIR /app
# Application files stay owned by root: the server cannot modify its own code.
COPY --from=builder /app/package.json ./
COPY --from=builder /app/node_modules ./node_modules
COPY --from=builder /app/dist ./dist

ENV NODE_ENV=production \
    TINYTASK_MODE=http \
    TINYTASK_HOST=0.0.0.0 \
    TINYTASK_PORT=3000 \
    TINYTASK_DB_PATH=/data/tinytask.db

USER 10001:10001
EXPOSE 3000
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["node", "/app/dist/healthcheck.js"]
# dumb-init is PID 1: it forwards SIGTERM to node (graceful shutdown: drain writes, checkpoint the WAL, exit 0)
# and reaps zombies.
ENTRYPOINT ["/usr/bin/dumb-init", "--"]
CMD ["node", "--max-semi-space-size=2", "/app/dist/cli.js"]
