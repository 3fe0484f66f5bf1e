/**
 * The super-resolution network from a Keras layers-model file (model.json + weight shards), run with
 * tfjs-core ops alone: no tfjs-layers, no converter. Only the layer kinds ESRGAN-slim's RDN uses are
 * known (InputLayer, Conv2D, Activation relu/linear, Concatenate, Add, UpSampling2D nearest); any other
 * file is refused when it is read, not half-run.
 */
import type * as Tf from '@tensorflow/tfjs-core';

type TfModule = typeof Tf;

/** Largest picture a ×2 pass runs on by default: 512 × 512 (about 3 s of one core on wasm). */
export const MAX_NETWORK_INPUT_PIXELS = 512 * 512;

interface KerasLayer {
  class_name: string;
  name: string;
  config: Record<string, unknown>;
  inbound_nodes: Array<Array<[string, number, number, unknown?]>>;
}

interface KerasTopology {
  model_config?: {
    class_name?: string;
    config?: {
      layers?: KerasLayer[];
      input_layers?: Array<[string, number, number]>;
      output_layers?: Array<[string, number, number]>;
    };
  };
}

/** Input pixels per output pixel side. */
export interface Network {
  scale: number;
  /** Runs one RGB window (values 0–255) of `height × width`; returns `scale` times larger RGB bytes. */
  run(rgb: Uint8Array, width: number, height: number): Promise<Uint8Array>;
  dispose(): void;
}

const KNOWN = new Set(['InputLayer', 'Conv2D', 'Activation', 'Concatenate', 'Add', 'UpSampling2D']);

function fail(why: string): never {
  throw new Error(`unsupported super-resolution model file: ${why}`);
}

function checkLayers(topology: unknown): {
  layers: KerasLayer[];
  input: string;
  output: string;
  scale: number;
} {
  const config = (topology as KerasTopology | undefined)?.model_config?.config;
  const layers = config?.layers;
  if (!Array.isArray(layers) || layers.length === 0) fail('no Keras layers in model.json');
  let scale = 1;
  for (const layer of layers) {
    if (!KNOWN.has(layer.class_name)) fail(`layer ${layer.name} is a ${layer.class_name}`);
    const c = layer.config;
    if (layer.class_name === 'Conv2D') {
      const strides = c.strides as number[] | undefined;
      const dilation = c.dilation_rate as number[] | undefined;
      if (c.data_format !== 'channels_last') fail(`${layer.name}: data_format ${String(c.data_format)}`);
      if (strides?.some((s) => s !== 1) || dilation?.some((d) => d !== 1) || (c.groups ?? 1) !== 1) {
        fail(`${layer.name}: strides, dilation or groups other than 1`);
      }
      if (c.padding !== 'same' && c.padding !== 'valid') fail(`${layer.name}: padding ${String(c.padding)}`);
      if (c.padding === 'valid' && (c.kernel_size as number[]).some((k) => k !== 1)) {
        fail(`${layer.name}: 'valid' padding on a kernel larger than 1×1 would shrink the picture`);
      }
    }
    if (
      (layer.class_name === 'Conv2D' || layer.class_name === 'Activation') &&
      !['linear', 'relu'].includes(String(c.activation))
    ) {
      fail(`${layer.name}: activation ${String(c.activation)}`);
    }
    if (layer.class_name === 'Concatenate' && c.axis !== 3 && c.axis !== -1)
      fail(`${layer.name}: axis ${String(c.axis)}`);
    if (layer.class_name === 'UpSampling2D') {
      const size = c.size as number[];
      if (c.interpolation !== 'nearest' || size[0] !== size[1])
        fail(`${layer.name}: ${String(c.interpolation)} ${size}`);
      scale *= size[0] ?? 1;
    }
  }
  const input = config?.input_layers?.[0]?.[0];
  const output = config?.output_layers?.[0]?.[0];
  if (input === undefined || output === undefined) fail('no input or output layer named');
  return { layers, input, output, scale };
}

/** Builds the network from the artifacts of an IO handler (topology, weight specs, weight bytes). */
export function createNetwork(tf: TfModule, artifacts: Tf.io.ModelArtifacts): Network {
  const { layers, output, scale } = checkLayers(artifacts.modelTopology);
  if (artifacts.weightSpecs === undefined || artifacts.weightData === undefined) fail('no weights');
  const weights = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
  const weight = (name: string): Tf.Tensor => weights[name] ?? fail(`weight ${name} is missing`);
  for (const layer of layers) {
    if (layer.class_name === 'Conv2D') {
      weight(`${layer.name}/kernel`);
      if (layer.config.use_bias !== false) weight(`${layer.name}/bias`);
    }
  }

  // A relu that is a convolution's only consumer runs inside it (one pass over the memory, not two).
  const consumers = new Map<string, number>();
  for (const layer of layers) {
    for (const node of layer.inbound_nodes)
      for (const [from] of node) consumers.set(from, (consumers.get(from) ?? 0) + 1);
  }
  const byName = new Map(layers.map((layer) => [layer.name, layer]));
  const fusedRelu = new Set<string>();
  for (const layer of layers) {
    const from = layer.inbound_nodes[0]?.[0]?.[0];
    const source = from === undefined ? undefined : byName.get(from);
    if (
      layer.class_name === 'Activation' &&
      layer.config.activation === 'relu' &&
      source?.class_name === 'Conv2D' &&
      source.config.activation === 'linear' &&
      consumers.get(source.name) === 1
    ) {
      fusedRelu.add(source.name);
      fusedRelu.add(layer.name);
    }
  }

  const forward = (x: Tf.Tensor4D): Tf.Tensor4D => {
    const values = new Map<string, Tf.Tensor4D>();
    for (const layer of layers) {
      const inputs = layer.inbound_nodes.flatMap((node) =>
        node.map(([from]) => values.get(from) as Tf.Tensor4D),
      );
      const [first] = inputs;
      let y: Tf.Tensor4D;
      switch (layer.class_name) {
        case 'InputLayer':
          y = x;
          break;
        case 'Conv2D': {
          const relu = layer.config.activation === 'relu' || fusedRelu.has(layer.name);
          y = tf.fused.conv2d({
            x: first as Tf.Tensor4D,
            filter: weight(`${layer.name}/kernel`) as Tf.Tensor4D,
            strides: 1,
            pad: layer.config.padding as 'same' | 'valid',
            ...(layer.config.use_bias === false ? {} : { bias: weight(`${layer.name}/bias`) }),
            activation: relu ? 'relu' : 'linear',
          });
          break;
        }
        case 'Activation':
          y =
            layer.config.activation === 'relu' && !fusedRelu.has(layer.name)
              ? tf.relu(first as Tf.Tensor4D)
              : (first as Tf.Tensor4D);
          break;
        case 'Concatenate':
          y = tf.concat(inputs, 3);
          break;
        case 'Add':
          y = inputs.slice(1).reduce((sum, next) => tf.add(sum, next), first as Tf.Tensor4D);
          break;
        default: {
          // UpSampling2D, nearest
          const [, height = 0, width = 0] = (first as Tf.Tensor4D).shape;
          const size = (layer.config.size as number[])[0] ?? 1;
          y = tf.image.resizeNearestNeighbor(first as Tf.Tensor4D, [height * size, width * size]);
        }
      }
      values.set(layer.name, y);
    }
    return values.get(output) ?? fail(`output layer ${output} was not computed`);
  };

  return {
    scale,
    async run(rgb, width, height) {
      const result = tf.tidy(() => {
        const x = tf.tensor4d(Float32Array.from(rgb), [1, height, width, 3]);
        return tf.clipByValue(tf.round(forward(x)), 0, 255);
      });
      try {
        return Uint8Array.from(await result.data());
      } finally {
        result.dispose();
      }
    },
    dispose() {
      for (const tensor of Object.values(weights)) tensor.dispose();
    },
  };
}
