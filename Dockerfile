# The Sessionwise image for docker-compose.yml (untested here: Docker cannot run on the machine
# this was written on; `npm run cluster` runs the same roles as processes on loopback).
FROM node:20-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential libssl-dev zlib1g-dev libzstd-dev liblz4-dev libsasl2-dev libcurl4-openssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
# The Kafka client builds its bundled librdkafka against Debian's libraries.
RUN CKJS_LINKING=dynamic npm ci --no-audit --no-fund
ENV HOST=0.0.0.0 PORT=8080 DATA_DIR=/data
EXPOSE 8080
# The launch of `npm start` and bin/sessionwise.js: environment, then node flags (README, "Configuration").
ENV GLIBC_TUNABLES=glibc.malloc.hugetlb=1
ENTRYPOINT ["node", "--max-semi-space-size=64", "--use-largepages=silent", "bin/sessionwise.js"]
