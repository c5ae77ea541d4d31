# The webhook image: a static Go binary on a base with no shell and no package
# manager, running as a numeric non-root user (so the kubelet can check
# runAsNonRoot without reading the image). For those who build with Docker:
# `make docker-image IMG=...`. `make image` builds the same image without
# Docker (build/image, whose tests check that both agree).
ARG GO_IMAGE=golang:1.26
ARG BASE_IMAGE=gcr.io/distroless/static:nonroot

# Compile on the build machine's platform for the target's: no emulation.
FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build
ARG TARGETOS
ARG TARGETARCH
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -buildvcs=false -ldflags="-s -w" -o /out/vmnet-webhook ./cmd/vmnet-webhook

FROM ${BASE_IMAGE}
COPY --from=build /out/vmnet-webhook /vmnet-webhook
USER 65532:65532
# HTTPS (admission), metrics, health.
EXPOSE 9443 8080 8081
ENTRYPOINT ["/vmnet-webhook"]
