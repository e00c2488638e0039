{{/*
Shared helpers. Every resource is rendered by one loop over `.Values.services`;
helpers that concern one service take a dict: (dict "root" $ "name" $name "svc" $svc).
*/}}

{{- define "spiegel.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "spiegel.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Name of a service's resources (its api Service, ServiceAccount, ConfigMap). */}}
{{- define "spiegel.serviceName" -}}
{{- printf "%s-%s" (include "spiegel.fullname" .root) .name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Name of one process type's resources (Deployment, PDB, HPA, NetworkPolicy). */}}
{{- define "spiegel.workloadName" -}}
{{- printf "%s-%s-%s" (include "spiegel.fullname" .root) .name .process | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every resource, apart from the selector labels. */}}
{{- define "spiegel.commonLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: spiegel
{{- end }}

{{/* Labels of release-wide resources (not one service's). */}}
{{- define "spiegel.labels" -}}
{{ include "spiegel.commonLabels" . }}
app.kubernetes.io/name: {{ include "spiegel.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Selector labels of a service (all its processes) or, with "process", of one process type. */}}
{{- define "spiegel.selectorLabels" -}}
app.kubernetes.io/name: {{ include "spiegel.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- with .process }}
spiegel/process: {{ . }}
{{- end }}
{{- end }}

{{/* All labels of a service's or a process's resources. */}}
{{- define "spiegel.componentLabels" -}}
{{ include "spiegel.commonLabels" .root }}
{{ include "spiegel.selectorLabels" . }}
{{- end }}

{{/* "true" when a map (service or process) is enabled: `enabled` absent means enabled. */}}
{{- define "spiegel.isEnabled" -}}
{{- if or (not (hasKey . "enabled")) .enabled }}true{{ end }}
{{- end }}

{{/* "true" when the named service is enabled and has an enabled api process. */}}
{{- define "spiegel.hasApi" -}}
{{- $svc := index .root.Values.services .name | default dict }}
{{- if and $svc (include "spiegel.isEnabled" $svc) }}
{{- $api := index ($svc.processes | default dict) "api" | default dict }}
{{- if and $api (include "spiegel.isEnabled" $api) }}true{{ end }}
{{- end }}
{{- end }}

{{- define "spiegel.module" -}}
{{- default (printf "spiegel_%s" (replace "-" "_" .name)) .svc.module }}
{{- end }}

{{- define "spiegel.mongodbDatabase" -}}
{{- default (printf "spiegel_%s" (replace "-" "_" .name)) .svc.mongodbDatabase }}
{{- end }}

{{- define "spiegel.existingSecret" -}}
{{- default (include "spiegel.serviceName" .) .svc.existingSecret }}
{{- end }}

{{- define "spiegel.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{- define "spiegel.jwksConfigMap" -}}
{{- if .Values.serviceTokens.existingConfigMap }}
{{- .Values.serviceTokens.existingConfigMap }}
{{- else }}
{{- printf "%s-service-token-jwks" (include "spiegel.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* The JWKS as JSON text; fails unless it is an object with a non-empty `keys` list. */}}
{{- define "spiegel.jwksJson" -}}
{{- $jwks := .Values.serviceTokens.jwks | default "" }}
{{- $parsed := dict }}
{{- if kindIs "string" $jwks }}
{{- $parsed = fromJson $jwks }}
{{- else }}
{{- $parsed = $jwks }}
{{- end }}
{{- if or (hasKey $parsed "Error") (not (kindIs "slice" $parsed.keys)) (empty $parsed.keys) }}
{{- fail "serviceTokens.jwks must be a JWKS: a JSON object with a non-empty \"keys\" list" }}
{{- end }}
{{- toJson $parsed }}
{{- end }}

{{/* Environment of a service's processes (its ConfigMap), as YAML. */}}
{{- define "spiegel.configData" -}}
{{- $root := .root }}
{{- $v := $root.Values }}
{{- $data := dict
  "SPIEGEL_ENV" $v.environment
  "LOG_FORMAT" $v.logFormat
  "LOG_LEVEL" $v.logLevel
  "HTTP_HOST" "0.0.0.0"
  "HTTP_PORT" (toString $v.http.port)
  "KAFKA_BOOTSTRAP_SERVERS" $v.kafka.bootstrapServers
  "KAFKA_TOPIC_PARTITIONS" (toString $v.kafka.topicPartitions)
  "KAFKA_REPLICATION_FACTOR" (toString $v.kafka.replicationFactor)
  "MONGODB_DATABASE" (include "spiegel.mongodbDatabase" .)
  "SERVICE_TOKEN_JWKS" "/etc/spiegel/service-token-jwks/jwks.json"
}}
{{- range $target := .svc.calls | default list }}
{{- if include "spiegel.hasApi" (dict "root" $root "name" $target) }}
{{- $url := printf "http://%s:%v" (include "spiegel.serviceName" (dict "root" $root "name" $target)) $v.service.port }}
{{- $_ := set $data (printf "%s_URL" (upper (replace "-" "_" $target))) $url }}
{{- end }}
{{- end }}
{{- range $key, $value := $v.extraEnv }}
{{- $_ := set $data $key (toString $value) }}
{{- end }}
{{- range $key, $value := .svc.env }}
{{- $_ := set $data $key (toString $value) }}
{{- end }}
{{- toYaml $data }}
{{- end }}

{{/* Effective autoscaling of a process: its own settings over .Values.autoscaling. */}}
{{- define "spiegel.autoscaling" -}}
{{- /* set, not merge: sprig's merge treats an explicit `false` as empty */}}
{{- $effective := deepCopy .root.Values.autoscaling }}
{{- range $key, $value := .proc.autoscaling | default dict }}
{{- $_ := set $effective $key $value }}
{{- end }}
{{- toYaml $effective }}
{{- end }}
