{{/*
Names, labels and the pieces every Deployment shares.
*/}}
{{- define "emailpipeline.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "emailpipeline.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* "<fullname>-<component>", e.g. mail-emailpipeline-ingress. Call with (dict "root" $ "component" "ingress"). */}}
{{- define "emailpipeline.componentName" -}}
{{- printf "%s-%s" (include "emailpipeline.fullname" .root | trunc 50 | trimSuffix "-") .component -}}
{{- end -}}

{{- define "emailpipeline.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: emailpipeline
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
{{ include "emailpipeline.selectorLabels" . }}
{{- end -}}

{{- define "emailpipeline.selectorLabels" -}}
app.kubernetes.io/name: {{ include "emailpipeline.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "emailpipeline.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "emailpipeline.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "emailpipeline.image" -}}
{{- $tag := default .root.Chart.AppVersion .root.Values.image.tag -}}
{{- printf "%s/%s:%s" .root.Values.image.registry .values.image.repository $tag -}}
{{- end -}}

{{/*
The RabbitMQ queues the worker services consume: the names the services declare, from
shared/Contracts/PipelineQueues.cs (tests/EmailPipeline.Deploy.Tests checks they stay equal).
*/}}
{{- define "emailpipeline.queues.accepted" -}}queue-message-accepted{{- end -}}
{{- define "emailpipeline.queues.deliveryResults" -}}queue-delivery-attempted{{- end -}}
{{- define "emailpipeline.queues.delivery" -}}delivery-requested{{- end -}}
{{- define "emailpipeline.queues.deliveryLarge" -}}delivery-requested-large{{- end -}}
{{- define "emailpipeline.queues.policy" -}}policy-check-message{{- end -}}

{{/* The components this release runs (policy only when enabled). */}}
{{- define "emailpipeline.components" -}}
{{- $c := list "ingress" "queue" "delivery" -}}
{{- if .Values.policy.enabled -}}{{- $c = append $c "policy" -}}{{- end -}}
{{- join " " $c -}}
{{- end -}}

{{/* Seconds as the TimeSpan text the services parse: 45 -> 00:00:45. */}}
{{- define "emailpipeline.timespan" -}}
{{- $s := int . -}}
{{- printf "%02d:%02d:%02d" (div $s 3600) (mod (div $s 60) 60) (mod $s 60) -}}
{{- end -}}

{{/*
Flattens a settings map into Section__Key environment entries (ConfigMap data lines).
Call with (dict "prefix" "Ingress" "value" .Values.ingress.settings).
*/}}
{{- define "emailpipeline.flatten" -}}
{{- $prefix := .prefix -}}
{{- if kindIs "map" .value -}}
{{- range $k, $v := .value }}
{{- include "emailpipeline.flatten" (dict "prefix" (printf "%s__%s" $prefix $k) "value" $v) }}
{{- end }}
{{- else if kindIs "slice" .value -}}
{{- range $i, $v := .value }}
{{- include "emailpipeline.flatten" (dict "prefix" (printf "%s__%d" $prefix $i) "value" $v) }}
{{- end }}
{{- else if not (kindIs "invalid" .value) }}
{{ $prefix }}: {{ .value | toString | quote }}
{{- end -}}
{{- end -}}

{{- define "emailpipeline.rabbitmqSecretName" -}}
{{- default (printf "%s-rabbitmq" (include "emailpipeline.fullname" .)) .Values.rabbitmq.existingSecret -}}
{{- end -}}

{{- define "emailpipeline.rabbitmqSecretKey" -}}
{{- if .Values.rabbitmq.existingSecret -}}{{ .Values.rabbitmq.existingSecretKey }}{{- else -}}RABBITMQ_URL{{- end -}}
{{- end -}}

{{/* Environment every service shares: the broker URL from its Secret and the pod's identity for telemetry. */}}
{{- define "emailpipeline.commonEnv" -}}
- name: RABBITMQ_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "emailpipeline.rabbitmqSecretName" . }}
      key: {{ include "emailpipeline.rabbitmqSecretKey" . }}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: OTEL_RESOURCE_ATTRIBUTES
  value: "k8s.pod.name=$(POD_NAME),k8s.namespace.name=$(POD_NAMESPACE)"
{{- end -}}

{{/* Probes on the service's HTTP port: /health/live (process) and /health/ready (broker connected, queues declared). */}}
{{- define "emailpipeline.probes" -}}
startupProbe:
  httpGet:
    path: /health/live
    port: http
  periodSeconds: 2
  failureThreshold: 60
livenessProbe:
  httpGet:
    path: /health/live
    port: http
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet:
    path: /health/ready
    port: http
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 2
{{- end -}}

{{/* Checks that fail the render with a clear message instead of a cluster that loses state. */}}
{{- define "emailpipeline.validate" -}}
{{- $q := .Values.queue -}}
{{- if and (ne $q.store.provider "Postgres") (gt (int $q.replicas) 1) -}}
{{- fail (printf "queue.replicas=%d needs queue.store.provider=Postgres: the SQLite store lives on one ReadWriteOnce volume and holds the state of a single Queue replica." (int $q.replicas)) -}}
{{- end -}}
{{- if and (ne $q.store.provider "Postgres") $q.autoscaling.enabled -}}
{{- fail "queue.autoscaling.enabled=true needs queue.store.provider=Postgres: the SQLite store holds the state of a single Queue replica." -}}
{{- end -}}
{{- if and (eq $q.store.provider "Postgres") (not $q.store.postgres.connectionString) (not $q.store.postgres.existingSecret) -}}
{{- fail "queue.store.provider=Postgres needs queue.store.postgres.connectionString or queue.store.postgres.existingSecret." -}}
{{- end -}}
{{- if and (not .Values.rabbitmq.url) (not .Values.rabbitmq.existingSecret) -}}
{{- fail "rabbitmq.url or rabbitmq.existingSecret is required." -}}
{{- end -}}
{{- $i := .Values.ingress -}}
{{- $floor := add $i.preStopSleepSeconds $i.drainTimeoutSeconds $i.publishTimeoutSeconds -}}
{{- if and (not (kindIs "invalid" $i.terminationGracePeriodSeconds)) (le (int $i.terminationGracePeriodSeconds) (int $floor)) -}}
{{- fail (printf "ingress.terminationGracePeriodSeconds=%d must exceed preStopSleepSeconds + drainTimeoutSeconds + publishTimeoutSeconds = %d, or SMTP sessions are killed mid-transaction." (int $i.terminationGracePeriodSeconds) (int $floor)) -}}
{{- end -}}
{{- if and $i.proxyProtocol.enabled (not $i.proxyProtocol.trustedProxies) -}}
{{- fail "ingress.proxyProtocol.enabled=true needs ingress.proxyProtocol.trustedProxies: the load balancer's addresses (e.g. the nodes' or the VPC's CIDR). A PROXY header is believed only from those; from anyone else it would choose the client address SPF, DMARC and the DNS lists judge." -}}
{{- end -}}
{{- if and $i.tls.existingSecret $i.tls.certManager.enabled -}}
{{- fail "ingress.tls.existingSecret and ingress.tls.certManager.enabled exclude each other." -}}
{{- end -}}
{{- $d := .Values.delivery -}}
{{- if not $d.maildir.existingClaim -}}
{{- range $n, $t := (dig "Transports" (list) (default dict $d.settings)) -}}
{{- if and (kindIs "map" $t) (eq (lower (toString (dig "Kind" "" $t))) "maildir") -}}
{{- fail (printf "delivery.settings.Transports[%d] (Match %s) delivers to a Maildir, but delivery.maildir.existingClaim is empty: the Maildir would be an emptyDir and every message delivered to it would vanish with the pod. Name a PersistentVolumeClaim (ReadWriteMany when Delivery runs more than one pod)." (int $n) (toString (dig "Match" "" $t))) -}}
{{- end -}}
{{- end -}}
{{- range $d.extraEnv -}}
{{- if and (regexMatch "^Delivery__Transports__[0-9]+__Kind$" (toString .name)) (eq (lower (toString .value)) "maildir") -}}
{{- fail (printf "delivery.extraEnv %s=%s delivers to a Maildir, but delivery.maildir.existingClaim is empty: the Maildir would be an emptyDir and every message delivered to it would vanish with the pod. Name a PersistentVolumeClaim (ReadWriteMany when Delivery runs more than one pod)." .name .value) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $psl := .Values.policy.publicSuffixList -}}
{{- if and $psl.configMap $psl.path -}}
{{- fail "policy.publicSuffixList.configMap and policy.publicSuffixList.path exclude each other." -}}
{{- end -}}
{{- end -}}

{{- define "emailpipeline.ingress.terminationGracePeriodSeconds" -}}
{{- $i := .Values.ingress -}}
{{- if kindIs "invalid" $i.terminationGracePeriodSeconds -}}
{{- add $i.preStopSleepSeconds $i.drainTimeoutSeconds $i.publishTimeoutSeconds 15 -}}
{{- else -}}
{{- $i.terminationGracePeriodSeconds -}}
{{- end -}}
{{- end -}}

{{- define "emailpipeline.ingress.tlsSecretName" -}}
{{- if .Values.ingress.tls.existingSecret -}}
{{- .Values.ingress.tls.existingSecret -}}
{{- else if .Values.ingress.tls.certManager.enabled -}}
{{- printf "%s-tls" (include "emailpipeline.componentName" (dict "root" . "component" "ingress")) -}}
{{- end -}}
{{- end -}}

{{/* Whether a worker scales, and how: "keda", "hpa" or "". Call with (dict "root" $ "values" .Values.delivery). */}}
{{- define "emailpipeline.scaler" -}}
{{- if .values.autoscaling.enabled -}}
{{- if .root.Values.keda.enabled -}}keda{{- else -}}hpa{{- end -}}
{{- end -}}
{{- end -}}

{{/* OTLP exporter settings (ConfigMap data lines); nothing when no endpoint is set. The log format too. */}}
{{- define "emailpipeline.otelEnv" -}}
{{- with .Values.logging.format }}
Logging__Console__FormatterName: {{ . | quote }}
{{- end }}
{{- if .Values.telemetry.otlpEndpoint }}
OTEL_EXPORTER_OTLP_ENDPOINT: {{ .Values.telemetry.otlpEndpoint | quote }}
OTEL_EXPORTER_OTLP_PROTOCOL: {{ .Values.telemetry.otlpProtocol | quote }}
{{- end }}
{{- end -}}

{{/* Pod-level fields every Deployment shares. Call with (dict "root" $ "values" .Values.queue). */}}
{{- define "emailpipeline.podCommon" -}}
serviceAccountName: {{ include "emailpipeline.serviceAccountName" .root }}
# The services never call the Kubernetes API.
automountServiceAccountToken: false
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Container-level fields every Deployment shares. Call with (dict "root" $ "values" .Values.queue "component" "queue");
an optional "secrets" list names Secrets whose keys are environment variables. */}}
{{- define "emailpipeline.containerCommon" -}}
image: {{ include "emailpipeline.image" . }}
imagePullPolicy: {{ .root.Values.image.pullPolicy }}
securityContext:
  {{- toYaml .root.Values.containerSecurityContext | nindent 2 }}
envFrom:
  - configMapRef:
      name: {{ include "emailpipeline.componentName" . }}
  {{- range .secrets }}
  - secretRef:
      name: {{ . }}
  {{- end }}
  {{- with .values.extraEnvFrom }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
resources:
  {{- toYaml .values.resources | nindent 2 }}
{{ include "emailpipeline.probes" . }}
{{- end -}}

{{/* Pod annotations: a checksum of the ConfigMaps and Secrets so a changed setting rolls the pods. */}}
{{- define "emailpipeline.podAnnotations" -}}
checksum/config: {{ include (print .root.Template.BasePath "/configmap.yaml") .root | sha256sum }}
checksum/secrets: {{ include (print .root.Template.BasePath "/secrets.yaml") .root | sha256sum }}
{{- with .values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end -}}
