# jobkit base image: Node 24 slim, jobkit installed (built dist + production
# dependencies), a non-root user, and node itself as PID 1 so that SIGTERM from
# the kubelet reaches jobkit's signal handling directly (no npm, no shell: npm
# and `sh -c` do not forward SIGTERM, and the pod would be SIGKILLed at the end
# of its grace period without its final checkpoint).
#
# Build (from the repository root):
#   docker build -t ghcr.io/acme/jobkit:0.1.0 .
#
# A job image on top of it (job.js imports from 'jobkit'):
#   FROM ghcr.io/acme/jobkit:0.1.0
#   COPY --chown=1000:1000 job.js ./
#   CMD ["job.js"]
# See docs/kubernetes.md.

ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /build
COPY package.json package-lock.json ./
# --ignore-scripts: nothing from the registry runs at build time.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && mkdir -p /out/jobkit \
 && cp -r package.json dist node_modules /out/jobkit/

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
# Installed as /app/node_modules/jobkit: a job in /app resolves `import ... from 'jobkit'`
# by Node's normal lookup, with no npm at run time. Owned by root: the job cannot modify it.
COPY --from=build /out/jobkit /app/node_modules/jobkit
RUN ln -s /app/node_modules/jobkit/dist/cli/main.js /usr/local/bin/jobkit \
 && chmod 0755 /app/node_modules/jobkit/dist/cli/main.js \
 && mkdir -p /app/.jobkit \
 && chown 1000:1000 /app /app/.jobkit
# The image's `node` user, by number so that runAsNonRoot can verify it.
USER 1000:1000
STOPSIGNAL SIGTERM
ENTRYPOINT ["node"]
CMD ["/app/node_modules/jobkit/dist/cli/main.js", "help"]
