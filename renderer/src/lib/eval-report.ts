// An evaluation report as the Evaluate view draws it: the headline numbers, the per-class table
// and the plots (SVG text from shared/eval/plots.ts, shown as data: URLs in <img>).
import type { EvalMetrics } from '../../../shared/eval/report';
import { classBarsSvg, confusionMatrixSvg, prCurvesSvg } from '../../../shared/eval/plots';

export interface Headline {
  label: string;
  value: string;
}

const pct = (x: number | null): string => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);
const num = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(3));

/** The numbers that sum a model up for its task. */
export function headlines(m: EvalMetrics): Headline[] {
  switch (m.task) {
    case 'classification':
      return [
        { label: 'Top-1', value: pct(m.classification.top1) },
        { label: 'Top-5', value: pct(m.classification.top5) },
      ];
    case 'detection':
      return [
        { label: 'mAP@0.5', value: num(m.detection.map50) },
        { label: 'mAP@0.5:0.95', value: num(m.detection.map50_95) },
        { label: 'mAP@0.75', value: num(m.detection.map75) },
        { label: 'AR@100', value: num(m.detection.mar100) },
      ];
    case 'segmentation':
      return [
        { label: 'mIoU', value: num(m.segmentation.miou) },
        { label: 'Pixel accuracy', value: pct(m.segmentation.pixelAccuracy) },
      ];
    case 'text-recognition':
      return [
        { label: 'CER', value: pct(m.text.cer) },
        { label: 'WER', value: pct(m.text.wer) },
        { label: 'Read exactly', value: pct(m.text.exact) },
      ];
  }
}

export interface ClassTable {
  columns: string[];
  rows: { name: string; cells: string[] }[];
}

/** One row per class (text recognition has none). */
export function classTable(m: EvalMetrics): ClassTable | null {
  switch (m.task) {
    case 'classification':
      return {
        columns: ['Precision', 'Recall', 'Files'],
        rows: m.classification.perClass.map((c) => ({
          name: c.name,
          cells: [num(c.precision), num(c.recall), String(c.support)],
        })),
      };
    case 'detection':
      return {
        columns: ['AP@0.5', 'AP@0.5:0.95', 'AP@0.75', 'Boxes'],
        rows: m.detection.perClass.map((c) => ({
          name: c.name,
          cells: [num(c.ap50), num(c.ap), num(c.ap75), String(c.groundTruth)],
        })),
      };
    case 'segmentation':
      return {
        columns: ['IoU', 'Pixels'],
        rows: m.segmentation.perClass.map((c) => ({ name: c.name, cells: [num(c.iou), c.pixels.toLocaleString('en-US')] })),
      };
    case 'text-recognition':
      return null;
  }
}

export interface Plot {
  title: string;
  /** data:image/svg+xml URL of our own generated SVG (its text is escaped). */
  src: string;
}

const dataUrl = (svg: string): string => `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;

/** The plots of one model's metrics; `who` names the model in the titles (A/B). */
export function plots(m: EvalMetrics, who = ''): Plot[] {
  const t = (s: string) => (who ? `${s} (${who})` : s);
  const out: { title: string; svg: string }[] = [];
  switch (m.task) {
    case 'classification': {
      const c = m.classification;
      const names = c.perClass.map((p) => p.name);
      out.push({ title: t('Confusion matrix'), svg: confusionMatrixSvg(c.confusion, names, t('Confusion matrix')) });
      out.push({
        title: t('Recall per class'),
        svg: classBarsSvg(
          c.perClass.map((p) => ({ name: p.name, value: p.recall })),
          t('Recall per class'),
        ),
      });
      break;
    }
    case 'detection': {
      const d = m.detection;
      const curves = d.perClass.flatMap((p) => (p.pr50 ? [{ name: p.name, precision: p.pr50 }] : []));
      if (curves.length)
        out.push({ title: t('Precision / recall'), svg: prCurvesSvg(curves, t('Precision / recall at IoU 0.5')) });
      out.push({
        title: t('AP@0.5 per class'),
        svg: classBarsSvg(
          d.perClass.map((p) => ({ name: p.name, value: p.ap50 })),
          t('AP@0.5 per class'),
        ),
      });
      break;
    }
    case 'segmentation':
      out.push({
        title: t('IoU per class'),
        svg: classBarsSvg(
          m.segmentation.perClass.map((p) => ({ name: p.name, value: p.iou })),
          t('IoU per class'),
        ),
      });
      break;
    case 'text-recognition':
      break;
  }
  return out.map((p) => ({ title: p.title, src: dataUrl(p.svg) }));
}
