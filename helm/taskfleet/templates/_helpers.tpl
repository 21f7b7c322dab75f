{{/*
Names, labels and the cross-field rules that values.schema.json cannot express.
*/}}

{{- define "taskfleet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Full name, at most 48 characters so that "<fullname>-worker-metrics"-style suffixes stay
within the 63-character limit of names and label values.
*/}}
{{- define "taskfleet.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 48 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 48 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 48 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "taskfleet.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "taskfleet.labels" -}}
helm.sh/chart: {{ include "taskfleet.chart" . }}
{{ include "taskfleet.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: taskfleet
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "taskfleet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "taskfleet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Call with (dict "ctx" $ "component" "api"). */}}
{{- define "taskfleet.componentLabels" -}}
{{ include "taskfleet.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "taskfleet.componentSelectorLabels" -}}
{{ include "taskfleet.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "taskfleet.image" -}}
{{- $img := .Values.image -}}
{{- if $img.digest -}}
{{- printf "%s@%s" $img.repository $img.digest -}}
{{- else -}}
{{- printf "%s:%s" $img.repository ($img.tag | default .Chart.AppVersion | toString) -}}
{{- end -}}
{{- end -}}

{{- define "taskfleet.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "taskfleet.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret the api/worker pods read: the user's existingSecret or the chart's own. */}}
{{- define "taskfleet.secretName" -}}
{{- .Values.secrets.existingSecret | default (include "taskfleet.fullname" .) -}}
{{- end -}}

{{/* Key names inside that Secret. The chart's own Secret always uses the variable names. */}}
{{- define "taskfleet.secretKey" -}}
{{- $root := .ctx -}}
{{- if $root.Values.secrets.existingSecret -}}
{{- index $root.Values.secrets.existingSecretKeys .key -}}
{{- else -}}
{{- index (dict "databaseUrl" "DATABASE_URL" "jwtSecret" "TASKFLEET_JWT_SECRET" "agentSecret" "TASKFLEET_AGENT_SECRET" "apiDbPassword" "TASKFLEET_API_DB_PASSWORD") .key -}}
{{- end -}}
{{- end -}}

{{/*
Secret the migration hook reads DATABASE_URL from. A pre-install hook runs before the release's
regular objects exist, so the chart-managed case uses a small hook Secret of its own.
*/}}
{{- define "taskfleet.migrateSecretName" -}}
{{- if .Values.secrets.existingSecret -}}
{{- .Values.secrets.existingSecret -}}
{{- else -}}
{{- printf "%s-migrate" (include "taskfleet.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* Is the worker Deployment's replica count owned by an autoscaler? */}}
{{- define "taskfleet.workerAutoscaled" -}}
{{- if or .Values.keda.enabled .Values.autoscaling.enabled -}}true{{- end -}}
{{- end -}}

{{/*
Worker terminationGracePeriodSeconds: a drain may take the full task timeout, plus the margin
for releasing unfinished tasks. A user value below that would let Kubernetes SIGKILL workers
mid-task (the task then waits for its lease to expire and is counted as a failed attempt).
*/}}
{{- define "taskfleet.workerGracePeriod" -}}
{{- $timeout := int .Values.config.taskTimeoutSecs -}}
{{- $margin := int .Values.worker.drainMarginSecs -}}
{{- $required := add $timeout $margin -}}
{{- $set := .Values.worker.terminationGracePeriodSeconds -}}
{{- if kindIs "invalid" $set -}}
{{- $required -}}
{{- else if lt (int $set) $required -}}
{{- fail (printf "worker.terminationGracePeriodSeconds=%d is lower than config.taskTimeoutSecs (%d) + worker.drainMarginSecs (%d) = %d: Kubernetes would SIGKILL draining workers mid-task. Raise it, or leave it null to have it computed." (int $set) $timeout $margin $required) -}}
{{- else -}}
{{- int $set -}}
{{- end -}}
{{- end -}}

{{/* TASKFLEET_BUSINESS_HOURS accepts "on"/"off" and YAML booleans. */}}
{{- define "taskfleet.businessHours" -}}
{{- $v := .Values.config.businessHours -}}
{{- if kindIs "bool" $v -}}
{{- ternary "on" "off" $v -}}
{{- else -}}
{{- $v -}}
{{- end -}}
{{- end -}}

{{/* Pod disruption budget spec body for a component's values (.pdb). */}}
{{- define "taskfleet.pdbBudget" -}}
{{- if and (not (kindIs "invalid" .minAvailable)) (not (kindIs "invalid" .maxUnavailable)) -}}
{{- fail "set only one of pdb.minAvailable and pdb.maxUnavailable (set the other to null)" -}}
{{- end -}}
{{- if not (kindIs "invalid" .minAvailable) -}}
minAvailable: {{ .minAvailable }}
{{- else if not (kindIs "invalid" .maxUnavailable) -}}
maxUnavailable: {{ .maxUnavailable }}
{{- else -}}
{{- fail "pdb.enabled is true but neither pdb.minAvailable nor pdb.maxUnavailable is set" -}}
{{- end -}}
{{- end -}}

{{/*
Rules spanning several values. Included once from configmap.yaml, so every render runs them.
*/}}
{{- define "taskfleet.validate" -}}
{{- $s := .Values.secrets -}}
{{- if and $s.existingSecret $s.databaseUrl -}}
{{- fail "secrets.existingSecret and secrets.databaseUrl are both set: DATABASE_URL must come from exactly one place. Keep existingSecret (put DATABASE_URL in it) or clear it." -}}
{{- end -}}
{{- if and (not $s.existingSecret) (not $s.databaseUrl) -}}
{{- fail "DATABASE_URL is not configured: set secrets.existingSecret to a Secret holding DATABASE_URL, TASKFLEET_JWT_SECRET and TASKFLEET_AGENT_SECRET (recommended), or pass secrets.databaseUrl (e.g. --set-string secrets.databaseUrl=postgres://user:pass@host:5432/taskfleet)." -}}
{{- end -}}
{{- if $s.existingSecret -}}
{{- range $k := list "databaseUrl" "jwtSecret" "agentSecret" "apiDbPassword" -}}
{{- if not (index $s.existingSecretKeys $k) -}}
{{- fail (printf "secrets.existingSecretKeys.%s must name a key of Secret %s" $k $s.existingSecret) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and .Values.keda.enabled (gt (int .Values.keda.minReplicaCount) (int .Values.keda.maxReplicaCount)) -}}
{{- fail (printf "keda.minReplicaCount (%d) is greater than keda.maxReplicaCount (%d)" (int .Values.keda.minReplicaCount) (int .Values.keda.maxReplicaCount)) -}}
{{- end -}}
{{- if and .Values.autoscaling.enabled (not .Values.keda.enabled) (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) -}}
{{- fail (printf "autoscaling.minReplicas (%d) is greater than autoscaling.maxReplicas (%d)" (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) -}}
{{- end -}}
{{- if and .Values.worker.enabled .Values.autoscaling.enabled (not .Values.keda.enabled) -}}
{{- if not (dig "requests" "cpu" "" (.Values.worker.resources | default dict)) -}}
{{- fail "autoscaling.enabled scales workers on CPU utilisation, which needs worker.resources.requests.cpu" -}}
{{- end -}}
{{- end -}}
{{- $_ := include "taskfleet.workerGracePeriod" . -}}
{{- end -}}

{{/* Volumes and mounts shared by every taskfleet container (read-only root filesystem). */}}
{{- define "taskfleet.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end -}}

{{- define "taskfleet.tmpVolumeMount" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/* Label matchers for the PrometheusRule's metric selectors. */}}
{{- define "taskfleet.promSelector" -}}
{{- if .Values.prometheusRule.selector -}}
{{- .Values.prometheusRule.selector -}}
{{- else -}}
{{- $fn := include "taskfleet.fullname" . -}}
{{- printf "namespace=%q, job=~%q" .Release.Namespace (printf "%s-(api|worker-metrics)" $fn) -}}
{{- end -}}
{{- end -}}

{{/*
The taskfleet_api login's password for the chart-managed Secrets: given, or the live Secret's, or
generated. Both the release Secret and the migration hook's Secret need the same value in one
render, so the first call stores it in .Values and later calls reuse it.
*/}}
{{- define "taskfleet.apiDbPassword" -}}
{{- $s := .Values.secrets -}}
{{- if not $s.apiDbPassword -}}
{{- $live := (lookup "v1" "Secret" .Release.Namespace (include "taskfleet.fullname" .)).data | default dict -}}
{{- $_ := set $s "apiDbPassword" (index $live "TASKFLEET_API_DB_PASSWORD" | default "" | b64dec | default (randAlphaNum 48)) -}}
{{- end -}}
{{- $s.apiDbPassword -}}
{{- end -}}
