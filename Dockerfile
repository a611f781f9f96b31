# jobkit base image: Node 24 slim, jobkit installed (built dist + production
# dependencies), a non-root user, and as ENTRYPOINT `tini -- jobkit exec --`,
# so that a program in any language runs supervised (docs/exec.md): the
# container's args (the image's CMD, or `args:` in the manifest) are the
# program, e.g. ["python3", "train.py"].
#
# Why tini in front: PID 1 must reap the orphans a program leaves (a helper
# whose parent died is re-parented to PID 1), and Node cannot (it waits only
# for the children it spawned, no waitpid(-1), no subreaper without native
# code). tini (Debian's package, /usr/bin/tini) reaps them and forwards
# SIGTERM to jobkit exec, which forwards it to the program's process group
# within the grace budget. No npm and no `sh -c` anywhere: they do not forward
# SIGTERM, and the pod would be SIGKILLed at the end of its grace period.
#
# Build (from the repository root):
#   docker build -t ghcr.io/acme/jobkit:0.1.0 .
#
# A job image on top of it, any language:
#   FROM ghcr.io/acme/jobkit:0.1.0
#   COPY --chown=1000:1000 train.py ./
#   CMD ["python3", "train.py"]          # runs as: tini -- jobkit exec -- python3 train.py
# (this image has no Python: install it in your image, or copy jobkit into yours.)
#
# A TypeScript job (job.js imports from 'jobkit'; runJob is its own supervisor):
#   ENTRYPOINT ["/usr/bin/tini", "--", "node"]
#   CMD ["job.js"]
# or keep this ENTRYPOINT and set `command: ["node", "job.js"]` in the
# manifest (`jobkit manifest -- node job.js`), which replaces it.
# A job image built on an earlier base image (ENTRYPOINT node) with only
# `CMD ["job.js"]` keeps working on this one: `jobkit exec -- job.js` runs a
# .js/.mjs/.cjs/.ts/.mts/.cts file that is not a program with its own Node,
# and the job's Pushgateway pushes cooperate with the supervisor's.
# See docs/kubernetes.md ("Migrating from the old base image").

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
# tini as PID 1 (reaps orphans, forwards signals); nothing else from apt.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
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
# The container's args are the program: `jobkit manifest --exec` writes the
# same command explicitly (plus args), so the manifest does not depend on it.
ENTRYPOINT ["/usr/bin/tini", "--", "jobkit", "exec", "--"]
CMD ["jobkit", "help"]
