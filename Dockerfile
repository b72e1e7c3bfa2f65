# projector image: `docker build -t projector .`, then e.g. `docker run --rm projector validate`.
# The entrypoint is the CLI; the default command is `run` (see docker-compose.yml).

# ---- build: install all dependencies, compile src/ and tools/ into dist/, drop dev dependencies
FROM node:20-bookworm-slim AS build
WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# One COPY per folder: `COPY src tools ./` would flatten their contents into /app.
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY tools ./tools
COPY schema ./schema
COPY projections ./projections
COPY bin ./bin
RUN npm run build \
 && npm prune --omit=dev

# ---- runtime: production dependencies and compiled code only, as the unprivileged `node` user
FROM node:20-bookworm-slim
ENV NODE_ENV=production
# The default of --projections is ./projections; pin it so any working directory works.
ENV PROJECTOR_PROJECTIONS=/app/projections
WORKDIR /app

# package.json must sit at /app: the CLI finds its package root (and schema/projection.schema.json)
# by walking up from dist/src/... to the first folder holding a package.json.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/schema ./schema
COPY --from=build /app/projections ./projections

USER node

# /metrics, /healthz and /readyz of `projector run --metrics-port 9464`
EXPOSE 9464

# Liveness of `run`'s metrics server (slim images have no curl). Port: env METRICS_PORT, default 9464.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.METRICS_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]

ENTRYPOINT ["node", "/app/bin/projector.js"]
CMD ["run"]
