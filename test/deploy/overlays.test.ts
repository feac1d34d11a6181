/**
 * The Kubernetes overlays as `kustomize build` renders them, checked by
 * deploy/k8s/policy.mjs (what deploy/check.sh runs in CI): every overlay
 * passes, the GPU overlays train on the GPU image, and the policy refuses a
 * GPU-requesting pod that runs another image.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);
const repoRoot = dirname(dirname(dirname(dirname(fileURLToPath(import.meta.url)))));
const overlays = join(repoRoot, 'deploy', 'k8s', 'overlays');

/** `kustomize` (PATH or GOPATH/bin, where deploy/check.sh installs it), else the one built into `kubectl`. */
function kustomizeCommand(): readonly string[] {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), join(process.env.GOPATH ?? join(homedir(), 'go'), 'bin')];
  for (const [name, args] of [['kustomize', ['build']], ['kubectl', ['kustomize']]] as const) {
    for (const dir of dirs) {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return [join(dir, name), ...args];
      } catch {
        continue;
      }
    }
  }
  throw new Error('neither kustomize nor kubectl is installed: `go install sigs.k8s.io/kustomize/kustomize/v5@v5.8.0` (deploy/check.sh does)');
}

async function build(overlay: string): Promise<string> {
  const [binary, ...args] = kustomizeCommand();
  return (await run(binary!, [...args, join(overlays, overlay)], { maxBuffer: 16 << 20 })).stdout;
}

/** Runs the policy on rendered manifests; its exit code and output. */
async function policy(overlay: string, manifests: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [join(repoRoot, 'deploy', 'k8s', 'policy.mjs'), overlay], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stdin.end(manifests);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, output };
}

interface Container {
  readonly image: string;
  readonly resources?: { readonly limits?: Record<string, unknown> };
}

function trainContainer(manifests: string): Container {
  const job = parseAllDocuments(manifests)
    .map((doc) => doc.toJS() as { kind?: string; metadata?: { name?: string }; spec?: { jobTargetRef: { template: { spec: { containers: Container[] } } } } } | null)
    .find((o) => o?.kind === 'ScaledJob' && o.metadata?.name === 'w2s-train');
  assert.ok(job?.spec, 'the ScaledJob w2s-train is rendered');
  return job.spec.jobTargetRef.template.spec.containers[0]!;
}

for (const overlay of ['cpu-only', 'gpu', 'temporal-cloud', 'temporal-cloud-mtls']) {
  test(`overlay ${overlay}: the policy passes and training runs on the image its hardware needs`, async () => {
    const manifests = await build(overlay);
    const { code, output } = await policy(overlay, manifests);
    assert.equal(code, 0, output);
    const container = trainContainer(manifests);
    if (overlay === 'cpu-only') {
      assert.equal(container.resources?.limits?.['nvidia.com/gpu'], undefined);
      assert.match(container.image, /-cpu$/);
    } else {
      assert.equal(container.resources?.limits?.['nvidia.com/gpu'], 1);
      assert.match(container.image, /:0\.1\.0-gpu$/);
    }
  });
}

test('the policy refuses a GPU-requesting training pod on the CPU image', async () => {
  const manifests = await build('gpu');
  const onCpuImage = manifests.replace(/ghcr\.io\/example\/w2s:0\.1\.0-gpu/g, 'ghcr.io/example/w2s:0.1.0-cpu');
  assert.notEqual(onCpuImage, manifests);
  const { code, output } = await policy('gpu', onCpuImage);
  assert.equal(code, 1);
  assert.match(output, /ScaledJob w2s-train container worker: requests nvidia\.com\/gpu but runs ghcr\.io\/example\/w2s:0\.1\.0-cpu/);
});
