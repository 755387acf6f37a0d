import { readModelInfo } from '../../electron/common/onnx/reader';
(async () => {
  for (const m of process.argv.slice(2)) for (let i = 0; i < 4; i++) {
    const t0 = performance.now(); const c0 = process.cpuUsage();
    const info = await readModelInfo(m);
    const c = process.cpuUsage(c0);
    console.log(m.split('/').pop(), i, (performance.now() - t0).toFixed(1), 'ms', ((c.user + c.system) / 1000).toFixed(1), 'cpu', info.nodes);
  }
})();
