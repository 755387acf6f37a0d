// Text recognition metrics: character and word error rates, as edit distances over the reference.

/** Levenshtein distance between two sequences (insertions, deletions, substitutions cost 1). */
export function editDistance<T>(a: readonly T[], b: readonly T[]): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

export interface TextSample {
  truth: string;
  predicted: string;
}

export interface TextMetrics {
  samples: number;
  /** Character edits / reference characters. */
  cer: number;
  /** Word edits / reference words. */
  wer: number;
  /** Share of samples read exactly. */
  exact: number;
  chars: number;
  words: number;
}

const words = (s: string) => s.trim().split(/\s+/u).filter(Boolean);

export function textMetrics(samples: readonly TextSample[]): TextMetrics {
  let charEdits = 0;
  let chars = 0;
  let wordEdits = 0;
  let wordCount = 0;
  let exact = 0;
  for (const s of samples) {
    const t = [...s.truth];
    charEdits += editDistance(t, [...s.predicted]);
    chars += t.length;
    const tw = words(s.truth);
    wordEdits += editDistance(tw, words(s.predicted));
    wordCount += tw.length;
    if (s.truth === s.predicted) exact += 1;
  }
  const n = samples.length;
  return {
    samples: n,
    cer: chars ? charEdits / chars : 0,
    wer: wordCount ? wordEdits / wordCount : 0,
    exact: n ? exact / n : 0,
    chars,
    words: wordCount,
  };
}
