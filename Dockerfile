# Ringmaster as a service (README "Install", docs/deployment.md). Not built in CI here.
#   docker build -t ringmaster .
#   docker run -p 8787:8787 -v ringmaster-data:/data ringmaster
# The first start prints the operator token on stderr (docker logs). For PostgreSQL, set DATABASE_URL.

# Build: the full install (TypeScript, the dashboard's compiler) and `npm pack`, exactly what users install.
FROM node:20-bookworm-slim AS build
WORKDIR /src
# better-sqlite3 compiles SQLite where no prebuilt binary can be downloaded.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm rebuild better-sqlite3 && npm pack --pack-destination /tmp

# Install the packed tarball alone: runtime dependencies only, no build step, no dev dependencies.
FROM node:20-bookworm-slim AS install
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/ringmaster
COPY --from=build /tmp/ringmaster-*.tgz /tmp/
RUN npm init -y >/dev/null && npm install --omit=dev --no-audit --no-fund /tmp/ringmaster-*.tgz

# Run: no compiler, no npm cache, not root.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8787 \
    DATABASE_URL=sqlite:/data/ringmaster.db
WORKDIR /opt/ringmaster
COPY --from=install /opt/ringmaster/node_modules ./node_modules
RUN mkdir /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8787
# /readyz answers 200 once the store answers (docs/contract.md §1); Node's fetch, as the image has no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8787) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains in-flight requests, then exits (docs/deployment.md).
ENTRYPOINT ["node", "node_modules/ringmaster/dist/cli/main.js"]
CMD ["serve"]
