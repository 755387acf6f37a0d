const ort = require('onnxruntime-node');
(async () => {
  const [model, level, extraJson, threads] = process.argv.slice(2);
  const o = { intraOpNumThreads: Number(threads || 2), executionProviders: ['cpu'], graphOptimizationLevel: level };
  if (extraJson) o.extra = JSON.parse(extraJson);
  const c0 = process.cpuUsage(); const t0 = performance.now();
  const s = await ort.InferenceSession.create(model, o);
  const create = performance.now() - t0; const cc = process.cpuUsage(c0);
  const data = new Float32Array(8 * 3 * 224 * 224).fill(0.5);
  const times = [];
  for (let i = 0; i < 4; i++) { const t = performance.now(); await s.run({ input: new ort.Tensor('float32', data, [8, 3, 224, 224]) }); times.push(Math.round(performance.now() - t)); }
  console.log(level, extraJson || '', 'create', Math.round(create), 'cpu', Math.round((cc.user + cc.system) / 1000), 'runs', times.join(' '));
})();
