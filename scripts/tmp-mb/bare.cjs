const ort = require('onnxruntime-node');
(async () => {
  const [model, threads, spin, n] = [process.argv[2], Number(process.argv[3]), process.argv[4], Number(process.argv[5] || 8)];
  const o = { intraOpNumThreads: threads, executionProviders: ['cpu'] };
  if (spin === '0') o.extra = { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } };
  const t0 = performance.now();
  const s = await ort.InferenceSession.create(model, o);
  const create = performance.now() - t0;
  const data = new Float32Array(n * 3 * 224 * 224).map(() => Math.random());
  const times = [];
  for (let i = 0; i < 12; i++) {
    const t = performance.now();
    await s.run({ input: new ort.Tensor('float32', data, [n, 3, 224, 224]) });
    times.push(Math.round(performance.now() - t));
  }
  const c = process.cpuUsage();
  console.log(model.split('/').pop(), 'threads', threads, 'spin', spin, 'create', Math.round(create), 'runs', times.join(' '));
})();
