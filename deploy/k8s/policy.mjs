// Rules every built overlay must keep, beyond what the schemas check: read
// the output of `kustomize build <overlay>` on stdin, name the overlay as the
// argument, exit 1 listing every rule broken. Run by deploy/check.sh.
import process from 'node:process';
import { parseAllDocuments } from 'yaml';

const overlay = process.argv[2] ?? 'stdin';
let input = '';
for await (const chunk of process.stdin) input += chunk;
const objects = parseAllDocuments(input).map((doc) => doc.toJS()).filter(Boolean);
const problems = [];
const fail = (where, what) => problems.push(`${overlay}: ${where}: ${what}`);
const named = (kind, name) => objects.find((o) => o.kind === kind && o.metadata.name === name);

/** The CUDA image's tag (deploy/docker/Dockerfile.gpu), as opposed to the CPU image's `…-cpu`. */
const GPU_IMAGE = /:[^:/]*-gpu$/;

/** Pod specs of the workers: the CPU Deployment and the training ScaledJob. */
const pods = [];
const deployment = named('Deployment', 'w2s-worker-cpu');
if (deployment) pods.push(['Deployment w2s-worker-cpu', deployment.spec.template.spec, true]);
else fail('Deployment w2s-worker-cpu', 'missing');
const job = named('ScaledJob', 'w2s-train');
if (job) pods.push(['ScaledJob w2s-train', job.spec.jobTargetRef.template.spec, false]);

for (const [where, pod, serves] of pods) {
  if (pod.securityContext?.runAsNonRoot !== true) fail(where, 'runAsNonRoot is not true');
  // The SDK forces a shutdown 60 s after SIGTERM; the pod must outlive it to write its checkpoint.
  if (!(pod.terminationGracePeriodSeconds > 60)) fail(where, `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} is not above 60`);
  if (pod.serviceAccountName !== 'w2s-worker') fail(where, 'does not run as the Workload Identity service account w2s-worker');
  const tmpVolume = (pod.volumes ?? []).find((v) => v.emptyDir !== undefined && pod.containers.some((c) => (c.volumeMounts ?? []).some((m) => m.name === v.name && m.mountPath === '/tmp')));
  if (!tmpVolume) fail(where, 'no emptyDir mounted at /tmp (the root file system is read-only)');
  for (const container of pod.containers) {
    const at = `${where} container ${container.name}`;
    const security = container.securityContext ?? {};
    if (security.readOnlyRootFilesystem !== true) fail(at, 'root file system is not read-only');
    if (security.allowPrivilegeEscalation !== false) fail(at, 'allows privilege escalation');
    if (!container.resources?.requests?.cpu || !container.resources?.requests?.memory) fail(at, 'no CPU or memory request');
    if (container.livenessProbe?.httpGet?.path !== '/livez') fail(at, 'liveness probe is not GET /livez');
    if (serves && container.readinessProbe?.httpGet?.path !== '/readyz') fail(at, 'readiness probe is not GET /readyz');
    if (!(container.env ?? []).some((e) => e.name === 'W2S_HEALTH_PORT')) fail(at, 'W2S_HEALTH_PORT is not set, so nothing answers the probes');
    // A GPU is wasted (and the CUDA backend absent) unless the container runs the CUDA image, tagged `…-gpu`.
    const gpus = container.resources?.limits?.['nvidia.com/gpu'] ?? container.resources?.requests?.['nvidia.com/gpu'];
    if (gpus && !GPU_IMAGE.test(container.image ?? '')) fail(at, `requests nvidia.com/gpu but runs ${container.image} (not a GPU image, tag …-gpu)`);
  }
}

if (!named('PodDisruptionBudget', 'w2s-worker-cpu')) fail('PodDisruptionBudget w2s-worker-cpu', 'missing');

const triggersOf = (o) => o?.spec.triggers ?? [];
const cpuScaler = named('ScaledObject', 'w2s-worker-cpu');
if (!triggersOf(cpuScaler).some((t) => t.type === 'temporal' && t.metadata.taskQueue === 'w2s-cpu')) fail('ScaledObject w2s-worker-cpu', 'no temporal trigger on w2s-cpu');
if (job && !triggersOf(job).some((t) => t.type === 'temporal' && t.metadata.taskQueue === 'w2s-gpu')) fail('ScaledJob w2s-train', 'no temporal trigger on w2s-gpu');
if (job && !(job.spec.jobTargetRef.template.spec.containers[0].env ?? []).some((e) => e.name === 'W2S_EXIT_WHEN_IDLE_SECONDS')) {
  fail('ScaledJob w2s-train', 'workers never exit when idle, so Jobs never end');
}

if (overlay.includes('gpu') || overlay.includes('temporal-cloud')) {
  const spec = job?.spec.jobTargetRef.template.spec;
  if (!spec?.containers[0].resources?.limits?.['nvidia.com/gpu']) fail('ScaledJob w2s-train', 'requests no GPU');
  if (!(spec?.tolerations ?? []).some((t) => t.key === 'nvidia.com/gpu')) fail('ScaledJob w2s-train', 'does not tolerate the nvidia.com/gpu taint');
}

// Credentials: an API key needs no certificate volume; mutual TLS mounts one. Either way KEDA authenticates too.
const secretVolumes = pods.flatMap(([where, pod]) => (pod.volumes ?? []).filter((v) => v.secret).map((v) => `${where}: ${v.secret.secretName}`));
const usesApiKey = pods.some(([, pod]) => pod.containers.some((c) => (c.env ?? []).some((e) => e.name === 'TEMPORAL_API_KEY')));
if (usesApiKey && secretVolumes.length > 0) fail('API key', `certificate volumes mounted anyway (${secretVolumes.join(', ')})`);
if (overlay.includes('mtls') && secretVolumes.length !== pods.length) fail('mTLS', 'not every worker mounts the client certificate');
if (overlay.includes('temporal-cloud')) {
  for (const scaler of [cpuScaler, job]) {
    if (!triggersOf(scaler).every((t) => t.authenticationRef?.name === 'w2s-temporal')) fail(`${scaler?.kind} ${scaler?.metadata.name}`, 'trigger has no authenticationRef');
  }
  if (!named('TriggerAuthentication', 'w2s-temporal')) fail('TriggerAuthentication w2s-temporal', 'missing');
}

if (problems.length > 0) {
  process.stderr.write(`${problems.join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(`${overlay}: policy ok (${objects.length} objects)\n`);
