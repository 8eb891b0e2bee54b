{{/* The release's name prefix for every object. */}}
{{- define "minsheng.fullname" -}}
{{- if contains "minsheng" .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-minsheng" .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "minsheng.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/part-of: minsheng
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selects one component's pods. Takes (dict "root" $ "name" $name). */}}
{{- define "minsheng.selectorLabels" -}}
app.kubernetes.io/name: minsheng
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* A component's object name. Takes (dict "root" $ "name" $name). */}}
{{- define "minsheng.componentName" -}}
{{- printf "%s-%s" (include "minsheng.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "minsheng.image" -}}
{{- $image := .Values.global.image -}}
{{- printf "%s:%s" $image.repository (default .Chart.AppVersion $image.tag) -}}
{{- end -}}

{{/* One probe: gRPC health by default, HTTP where a component says so. */}}
{{- define "minsheng.probe" -}}
{{- $probe := .probe -}}
{{- if $probe.httpGet }}
httpGet:
  path: {{ $probe.httpGet.path }}
  port: http
{{- else }}
grpc:
  port: {{ .root.Values.global.ports.grpc }}
  service: {{ $probe.grpc.service | quote }}
{{- end }}
periodSeconds: {{ $probe.periodSeconds }}
failureThreshold: {{ $probe.failureThreshold }}
{{- end -}}
