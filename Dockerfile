# syntax=docker/dockerfile:1
# The ONNX Workbench command line and its engine, for batch jobs on servers, Kubernetes, Slurm and
# AWS Batch: no Electron, no window. `docker build -t onnx-workbench-cli .` (CPU), or
# `docker build --target gpu -t onnx-workbench-cli:gpu .` (CUDA; see README, "Shards").
#   docker run --rm -v "$PWD/data:/data" onnx-workbench-cli batch /data/model.onnx /data/images --out /data/results

# ---- build: the bundles out/main/cli.js and out/main/engine.js (electron-vite builds them) ----
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No install scripts: Electron's binary download and the app's own prepare (build) are not needed.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npx electron-vite build

# ---- runtime: production dependencies (onnxruntime-node, sharp, zod, picomatch, ws) and the bundles ----
FROM node:20-bookworm-slim AS cpu
WORKDIR /opt/onnx-workbench
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# onnxruntime-node bundles its CPU binaries; its install script only fetches the CUDA ones (gpu stage).
# Its macOS and Windows binaries (220 MB) are left out.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force \
  && rm -rf node_modules/onnxruntime-node/bin/napi-v*/darwin node_modules/onnxruntime-node/bin/napi-v*/win32
COPY --from=build /src/out/main ./out/main
COPY bin ./bin
RUN ln -s /opt/onnx-workbench/bin/onnx-workbench.js /usr/local/bin/onnx-workbench
# The app's state (its list of past jobs) in a writable place; results go where --out says.
ENV OWB_DATA_DIR=/tmp/onnx-workbench
USER node
ENTRYPOINT ["onnx-workbench"]
CMD ["--help"]

# ---- gpu: the same on CUDA 12 + cuDNN 9 (what onnxruntime-node's CUDA provider needs) ----
# Pick the nvidia/cuda tag that matches your driver and onnxruntime's CUDA requirements.
FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04 AS gpu
COPY --from=cpu /usr/local/bin/node /usr/local/bin/node
WORKDIR /opt/onnx-workbench
ENV NODE_ENV=production
COPY --from=cpu /opt/onnx-workbench ./
# The CUDA and TensorRT provider libraries, downloaded (from NuGet) by onnxruntime-node's install script.
RUN cd node_modules/onnxruntime-node && ONNXRUNTIME_NODE_INSTALL=cuda12 node script/install.js
RUN ln -s /opt/onnx-workbench/bin/onnx-workbench.js /usr/local/bin/onnx-workbench
# Ubuntu's image has a user 1000 already (ubuntu); Kubernetes' runAsUser: 1000 works either way.
RUN id -u 1000 >/dev/null 2>&1 || useradd --uid 1000 --create-home owb
ENV OWB_DATA_DIR=/tmp/onnx-workbench
USER 1000
ENTRYPOINT ["onnx-workbench"]
CMD ["--help"]

# The default image is the CPU one.
FROM cpu
