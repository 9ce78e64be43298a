# syntax=docker/dockerfile:1
# The same steps CI runs: npm ci with the committed lockfile, npm run build, node dist/main.js.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json rspack.config.js ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production PORT=8080
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node views ./views
COPY --chown=node:node public ./public
USER node
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# As `npm run start:prod` (test/deployment.e2e-spec.ts checks they agree; the benchmarks use them).
# The heap cap keeps V8's heap near 1.4x the live data (4x without it on a big machine); 512 MB
# holds the default SESSION_MEMORY_MAX of 100,000 memory-store sessions (~1.1 KB each) with room.
CMD ["node", "--max-old-space-size=512", "dist/main.js"]
