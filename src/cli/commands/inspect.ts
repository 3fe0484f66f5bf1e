import { resolve } from 'node:path';
import { type ImageInspection, inspectImage } from '../../api/inspect.js';
import { EXIT } from '../exit-codes.js';
import type { CliIO } from '../output.js';

/** `assetgen inspect <file>`: prints the provenance an image file embeds (XMP), or says there is none. */
export async function inspectCommand(file: string, options: { json?: boolean }, io: CliIO): Promise<number> {
  const inspected = await inspectImage(resolve(io.cwd, file));
  if (options.json === true) {
    const { xmp: _xmp, ...rest } = inspected;
    io.out(JSON.stringify({ ...rest, path: file }, null, 2));
    return EXIT.ok;
  }
  io.out(`${file}: ${inspected.format} ${inspected.width}×${inspected.height}, ${inspected.bytes} bytes`);
  const line = (name: string, value: string | undefined): void => {
    if (value !== undefined) io.out(`  ${name.padEnd(20)}${value}`);
  };
  printC2pa(inspected, io, line);
  const p = inspected.provenance;
  if (p !== undefined && (inspected.c2pa !== undefined || inspected.c2paNote !== undefined))
    io.out('XMP provenance:');
  if (p === undefined) {
    io.out('no XMP: no provenance recorded (provenance: none, or not written by assetgen)');
    return EXIT.ok;
  }
  line('digital source type', p.digitalSourceType);
  if (p.placeholder === true) line('placeholder', 'yes (made offline by a stand-in, not by the model)');
  line('recipe', p.recipe);
  line('asset', p.asset);
  line('variant', p.variant);
  line('generator', p.generator);
  for (const step of p.steps ?? []) {
    const parts = [
      step.model,
      step.provider && `provider ${step.provider}`,
      step.version && `version ${step.version}`,
      step.predictionId && `prediction ${step.predictionId}`,
      step.seed !== undefined && `seed ${step.seed}`,
    ].filter(Boolean);
    io.out(`  step ${step.id}: ${parts.join(', ')}`);
    io.out(`    task key ${step.taskKey}`);
    if (step.prompt !== undefined) io.out(`    prompt ${JSON.stringify(step.prompt)}`);
  }
  return EXIT.ok;
}

function printC2pa(
  inspected: ImageInspection,
  io: CliIO,
  line: (name: string, value: string | undefined) => void,
): void {
  if (inspected.c2paNote !== undefined) io.out(`C2PA manifest: present, not read (${inspected.c2paNote})`);
  const c2pa = inspected.c2pa;
  if (c2pa === undefined) return;
  const state =
    c2pa.validationState === 'Invalid'
      ? `INVALID: ${c2pa.failures.join('; ')}`
      : c2pa.validationState === 'Trusted'
        ? 'valid, signer trusted'
        : `valid signature${c2pa.untrusted ? ' (signer on no trust list the library knows)' : ''}`;
  io.out(`C2PA manifest: ${state}`);
  line(
    'signer',
    c2pa.signer === undefined
      ? undefined
      : `${c2pa.signer}${c2pa.issuer === undefined ? '' : `, issued by ${c2pa.issuer}`}`,
  );
  line('claim generator', c2pa.claimGenerator);
  line('digital source type', c2pa.digitalSourceType);
  line('assertions', c2pa.assertions.join(', '));
}
