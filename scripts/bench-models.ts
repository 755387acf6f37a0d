// Image classifiers of realistic size and shape for benchmarks, built in code with random weights:
// a MobileNetV2-class network (depthwise-separable inverted residuals, Conv with `group`) and a
// ResNet-50-class one (bottleneck blocks). Conv+bias stands in for Conv+BatchNorm, which exporters
// fold anyway. Input [N,3,224,224] float32, output [N,1000] logits; N is symbolic unless a fixed
// batch is asked for. Parameters and multiply-adds are counted while the graph is built.
import type { ModelSpec, NodeSpec, TensorSpec } from '../test/fixtures/onnx-builder';
import { mulberry32 } from '../electron/engine/tensors/generate';

export interface BenchModel {
  spec: ModelSpec;
  params: number;
  /** Multiply-adds for one 224×224 image (what papers quote as "FLOPs"; real FLOPs are twice this). */
  macs: number;
}

/** A feature map: its tensor name and shape (batch left out). */
interface Act {
  name: string;
  c: number;
  h: number;
  w: number;
}

type Activation = 'relu' | 'relu6' | 'none';

/** mulberry32: seeded, so that two builds of a model have the same weights. */
export const seededRandom = mulberry32;

class NetBuilder {
  readonly nodes: NodeSpec[] = [];
  readonly inits: TensorSpec[] = [];
  params = 0;
  macs = 0;
  private k = 0;
  private clipBounds = false;

  constructor(private readonly random: () => number) {}

  /** He-scaled uniform weights, so that activations stay finite through the stack. */
  private weights(name: string, dims: number[], fanIn: number) {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const bound = Math.sqrt(6 / fanIn);
    for (let i = 0; i < n; i++) data[i] = (this.random() * 2 - 1) * bound;
    this.inits.push({ name, dtype: 'float32', dims, raw: new Uint8Array(data.buffer) });
    this.params += n;
  }

  private activate(x: string, act: Activation): string {
    if (act === 'none') return x;
    const out = `${x}_${act}`;
    if (act === 'relu') this.nodes.push({ op: 'Relu', inputs: [x], outputs: [out] });
    else {
      // Relu6 is Clip(0, 6); opset 17 takes the bounds as inputs.
      if (!this.clipBounds) {
        this.inits.push({ name: 'clip_min', dtype: 'float32', dims: [], data: [0] });
        this.inits.push({ name: 'clip_max', dtype: 'float32', dims: [], data: [6] });
        this.clipBounds = true;
      }
      this.nodes.push({ op: 'Clip', inputs: [x, 'clip_min', 'clip_max'], outputs: [out] });
    }
    return out;
  }

  conv(x: Act, cout: number, kernel: number, stride: number, act: Activation, group = 1): Act {
    const id = this.k++;
    const cinPerGroup = x.c / group;
    this.weights(`w${id}`, [cout, cinPerGroup, kernel, kernel], cinPerGroup * kernel * kernel);
    this.inits.push({ name: `b${id}`, dtype: 'float32', dims: [cout], data: new Float32Array(cout) });
    this.params += cout;
    const pad = kernel >> 1;
    const h = Math.floor((x.h + 2 * pad - kernel) / stride) + 1;
    const w = Math.floor((x.w + 2 * pad - kernel) / stride) + 1;
    this.macs += h * w * cout * cinPerGroup * kernel * kernel;
    this.nodes.push({
      op: 'Conv',
      inputs: [x.name, `w${id}`, `b${id}`],
      outputs: [`c${id}`],
      attrs: { kernel_shape: [kernel, kernel], strides: [stride, stride], pads: [pad, pad, pad, pad], group },
    });
    return { name: this.activate(`c${id}`, act), c: cout, h, w };
  }

  add(a: Act, b: Act, act: Activation): Act {
    const id = this.k++;
    this.nodes.push({ op: 'Add', inputs: [a.name, b.name], outputs: [`a${id}`] });
    return { ...a, name: this.activate(`a${id}`, act) };
  }

  maxPool(x: Act): Act {
    const id = this.k++;
    this.nodes.push({
      op: 'MaxPool',
      inputs: [x.name],
      outputs: [`p${id}`],
      attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
    });
    return { name: `p${id}`, c: x.c, h: Math.floor((x.h - 1) / 2) + 1, w: Math.floor((x.w - 1) / 2) + 1 };
  }

  /** Global average pool, flatten, fully connected to the classes. */
  classifier(x: Act, classes: number): string {
    this.nodes.push({ op: 'GlobalAveragePool', inputs: [x.name], outputs: ['pooled'] });
    this.nodes.push({ op: 'Flatten', inputs: ['pooled'], outputs: ['flat'] });
    this.weights('fc_w', [classes, x.c], x.c);
    this.inits.push({ name: 'fc_b', dtype: 'float32', dims: [classes], data: new Float32Array(classes) });
    this.params += classes;
    this.macs += x.c * classes;
    this.nodes.push({ op: 'Gemm', inputs: ['flat', 'fc_w', 'fc_b'], outputs: ['logits'], attrs: { transB: 1 } });
    return 'logits';
  }

  model(batch: number | 'N'): ModelSpec {
    return {
      opsets: [{ domain: '', version: 17 }],
      inputs: [{ name: 'input', dtype: 'float32', shape: [batch, 3, 224, 224] }],
      outputs: [{ name: 'logits', dtype: 'float32', shape: [batch, 1000] }],
      nodes: this.nodes,
      initializers: this.inits,
    };
  }
}

const INPUT: Act = { name: 'input', c: 3, h: 224, w: 224 };

/** MobileNetV2 (width 1.0): ~3.5 M parameters, ~0.3 G multiply-adds at 224×224. */
export function mobileNetClass(batch: number | 'N' = 'N', seed = 1): BenchModel {
  const net = new NetBuilder(seededRandom(seed));
  let x = net.conv(INPUT, 32, 3, 2, 'relu6');
  // expansion t, output channels c, repeats n, first stride s
  const stages: [number, number, number, number][] = [
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 4, 2],
    [6, 96, 3, 1],
    [6, 160, 3, 2],
    [6, 320, 1, 1],
  ];
  for (const [t, c, n, s] of stages) {
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      const hidden = x.c * t;
      let y = t === 1 ? x : net.conv(x, hidden, 1, 1, 'relu6');
      y = net.conv(y, hidden, 3, stride, 'relu6', hidden);
      y = net.conv(y, c, 1, 1, 'none');
      x = stride === 1 && x.c === c ? net.add(x, y, 'none') : y;
    }
  }
  x = net.conv(x, 1280, 1, 1, 'relu6');
  net.classifier(x, 1000);
  return { spec: net.model(batch), params: net.params, macs: net.macs };
}

/** ResNet-50: ~25.6 M parameters, ~4.1 G multiply-adds at 224×224. */
export function resNet50Class(batch: number | 'N' = 'N', seed = 2): BenchModel {
  const net = new NetBuilder(seededRandom(seed));
  let x = net.maxPool(net.conv(INPUT, 64, 7, 2, 'relu'));
  const stages: [number, number, number][] = [
    [64, 3, 1],
    [128, 4, 2],
    [256, 6, 2],
    [512, 3, 2],
  ];
  for (const [width, blocks, stride] of stages) {
    for (let i = 0; i < blocks; i++) {
      const s = i === 0 ? stride : 1;
      const out = width * 4;
      let y = net.conv(x, width, 1, 1, 'relu');
      y = net.conv(y, width, 3, s, 'relu');
      y = net.conv(y, out, 1, 1, 'none');
      const shortcut = i === 0 ? net.conv(x, out, 1, s, 'none') : x;
      x = net.add(shortcut, y, 'relu');
    }
  }
  net.classifier(x, 1000);
  return { spec: net.model(batch), params: net.params, macs: net.macs };
}
