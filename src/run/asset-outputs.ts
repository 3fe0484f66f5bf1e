/**
 * An asset's output files, written once its steps ran: each file as the manifest lists it (with the
 * asset's placeholder mark), and per recipe output and image number its srcset group.
 */
import { outputGroup } from '../manifest/output-groups.js';
import type { ManifestOutput, ManifestOutputGroup } from '../manifest/types.js';
import type { PlannedAsset } from '../plan/plan.js';
import type { RunContext } from './context.js';
import { writeOutputFile } from './image-task.js';
import type { StepResult } from './model-task.js';

export interface AssetOutputs {
  outputs: ManifestOutput[];
  groups: ManifestOutputGroup[];
}

export async function writeAssetOutputs(
  context: RunContext,
  asset: PlannedAsset,
  results: ReadonlyMap<string, StepResult>,
  baseDir: string,
  placeholder: boolean,
): Promise<AssetOutputs> {
  const outputs: ManifestOutput[] = [];
  const groups: ManifestOutputGroup[] = [];
  for (const output of asset.outputs) {
    const written = await Promise.all(
      output.files.map((file) => writeOutputFile(context, asset, output, file, results, baseDir)),
    );
    const files = written.map(
      ({ thumbhash, lqip, ...file }): ManifestOutput => ({
        ...file,
        placeholder,
        ...(thumbhash === undefined ? {} : { thumbhash }),
        ...(lqip === undefined ? {} : { lqip }),
      }),
    );
    outputs.push(...files);
    for (const image of new Set(output.files.map((file) => file.image))) {
      const ofImage = files.filter((_, index) => output.files[index]?.image === image);
      groups.push(outputGroup(output.index, image + 1, ofImage));
    }
  }
  return { outputs, groups };
}
