/** An asset's output files side by side (paired by path), and the reasons they give: files added or removed, another format or size. */
import type { ManifestOutput } from '../manifest/types.js';
import type { ChangeReason, OutputDiff } from './types.js';

const LISTED = 3;

export function pairOutputs(
  before: readonly ManifestOutput[],
  after: readonly ManifestOutput[],
): OutputDiff[] {
  const byPath = new Map(before.map((output) => [output.path, output]));
  const paired: OutputDiff[] = [];
  for (const output of after) {
    const was = byPath.get(output.path);
    byPath.delete(output.path);
    if (was === undefined) paired.push({ path: output.path, change: 'added', after: output });
    else {
      const change = was.sha256 === output.sha256 ? 'unchanged' : 'changed';
      paired.push({ path: output.path, change, before: was, after: output });
    }
  }
  for (const output of byPath.values()) paired.push({ path: output.path, change: 'removed', before: output });
  return paired;
}

const shape = (output: ManifestOutput) => `${output.format} ${output.width}×${output.height}`;

function listPaths(paths: string[]): string {
  const shown = paths.slice(0, LISTED).join(', ');
  return paths.length > LISTED ? `${shown} and ${paths.length - LISTED} more` : shown;
}

export function outputReasons(outputs: readonly OutputDiff[]): ChangeReason[] {
  const reasons: ChangeReason[] = [];
  const added = outputs.filter((output) => output.change === 'added').map((output) => output.path);
  const removed = outputs.filter((output) => output.change === 'removed').map((output) => output.path);
  const files = (count: number) => `${count} file${count === 1 ? '' : 's'}`;
  if (added.length > 0)
    reasons.push({ kind: 'outputs', detail: `${files(added.length)} added: ${listPaths(added)}` });
  if (removed.length > 0) {
    reasons.push({ kind: 'outputs', detail: `${files(removed.length)} removed: ${listPaths(removed)}` });
  }
  const reshaped = outputs.flatMap(({ path, before, after }) =>
    before !== undefined && after !== undefined && shape(before) !== shape(after)
      ? [`${path} ${shape(before)} → ${shape(after)}`]
      : [],
  );
  if (reshaped.length > 0) {
    const shown = reshaped.slice(0, LISTED).join(', ');
    const more = reshaped.length > LISTED ? ` and ${reshaped.length - LISTED} more` : '';
    reasons.push({ kind: 'outputs', detail: `${shown}${more}` });
  }
  return reasons;
}
