{{/*
Names are fixed, not derived from the release: the webhook configurations are
cluster-scoped and the server's flags name them, so one release per cluster.
*/}}

{{/* Labels of every object: those of the overlays, and Helm's own. */}}
{{- define "vmnet-webhook.labels" -}}
app.kubernetes.io/name: vmnet-webhook
app.kubernetes.io/part-of: vmnet-webhook
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{/* The pods' labels, which the selectors match. */}}
{{- define "vmnet-webhook.selectorLabels" -}}
app.kubernetes.io/name: vmnet-webhook
app.kubernetes.io/component: webhook
{{- end }}

{{/*
Where a pod of the release may run and how its image is pulled: the webhook's
pods and the uninstall hook's.
*/}}
{{- define "vmnet-webhook.placement" -}}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* The Service's DNS names, which the serving certificate must carry. */}}
{{- define "vmnet-webhook.dnsNames" -}}
{{- $svc := printf "vmnet-webhook.%s.svc" .Release.Namespace -}}
{{ list $svc (printf "%s.cluster.local" $svc) | toJson }}
{{- end }}

{{/* The rule settings (pkg/config), as manifests/base/config.yaml. */}}
{{- define "vmnet-webhook.config" -}}
reservedPorts: [49152, 49153]
enforcement: {{ .Values.enforcement }}
ipv6:
  inject: auto
  guestInterface: eth0
  defaultCIDR: fd10:0:2::/120
{{- end }}
