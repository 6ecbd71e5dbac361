# Overlastbot as a container (README, "Deploying", step 3).
#
#   docker build -t overlastbot .
#   docker run -p 3978:3978 --env-file overlastbot.env \
#     -v /srv/overlastbot/directory.yaml:/config/directory.yaml:ro overlastbot
#
# overlastbot.env holds MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD, MICROSOFT_APP_TENANT_ID, REDIS_URL
# and DIRECTORY_FILE=/config/directory.yaml (env.example documents every variable). NODE_ENV is
# production here, so the bot refuses to start without them. Health check: GET /readyz.
FROM node:20-bookworm-slim

WORKDIR /app

# All dependencies, dev included: `npm ci --omit=dev` fails, because botbuilder-dialogs' install
# script runs `npx rimraf`, a devDependency. (NODE_ENV=production before this line would omit them too.)
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund && npm cache clean --force

COPY tsconfig.json ./
COPY src ./src
COPY config ./config

# The code stays root-owned and read-only for the bot; it writes only to DATA_DIR (embedded store,
# large audit exports).
RUN mkdir -p /app/data && chown node:node /app/data
# NODE_OPTIONS: the heap limit and young generation `npm start` sets (docs/RELIABILITY.md, finding 5;
# docs/PERFORMANCE.md, item 15); raise the limit with
# `docker run -e NODE_OPTIONS="--max-old-space-size=… --max-semi-space-size=32"` for a large embedded store.
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-old-space-size=512 --max-semi-space-size=32" \
    HOST=0.0.0.0 \
    PORT=3978 \
    DATA_DIR=/app/data
USER node
EXPOSE 3978

# What `npm start` runs, without npm and `sh -c` in between: they do not pass `docker stop`'s
# SIGTERM on to the bot, which would then be killed without its graceful shutdown.
# `--initial-old-space-size=256`: V8 skips full collections while the old generation is under
# 256 MB, a fixed heap budget (docs/PERFORMANCE.md, item 19). Node refuses it in NODE_OPTIONS.
CMD ["/app/node_modules/.bin/tsx", "--initial-old-space-size=256", "src/main.ts"]
