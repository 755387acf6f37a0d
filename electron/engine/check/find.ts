// Finding test cases in ONNX's backend-test layout:
//   test_add/model.onnx
//   test_add/test_data_set_0/input_0.pb, input_1.pb, output_0.pb
// Given folders may be test cases themselves or hold them at any depth (up to MAX_DEPTH).
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';

export interface TestDataSet {
  name: string;
  dir: string;
  /** input_N.pb in order of N. */
  inputs: string[];
  /** output_N.pb in order of N. */
  outputs: string[];
}

export interface TestCase {
  name: string;
  dir: string;
  /** The model file, or null when the folder has data sets but no model. */
  model: string | null;
  sets: TestDataSet[];
  /** A folder given that could not be checked at all (missing, a file, no test cases): why. */
  problem?: string;
}

const MAX_DEPTH = 6;
const SET_DIR = /^test_data_set_/;

async function entries(dir: string): Promise<{ name: string; isDir: boolean }[]> {
  const list = await readdir(dir, { withFileTypes: true });
  return list.map((e) => ({ name: e.name, isDir: e.isDirectory() }));
}

function numbered(names: string[], prefix: string): string[] {
  const re = new RegExp(`^${prefix}_(\\d+)\\.pb$`);
  return names
    .map((n) => ({ n, m: re.exec(n) }))
    .filter((x): x is { n: string; m: RegExpExecArray } => x.m !== null)
    .sort((a, b) => Number(a.m[1]) - Number(b.m[1]))
    .map((x) => x.n);
}

async function readSet(dir: string): Promise<TestDataSet> {
  const names = (await entries(dir)).filter((e) => !e.isDir).map((e) => e.name);
  return {
    name: basename(dir),
    dir,
    inputs: numbered(names, 'input').map((n) => join(dir, n)),
    outputs: numbered(names, 'output').map((n) => join(dir, n)),
  };
}

async function scan(dir: string, depth: number, out: TestCase[]): Promise<void> {
  const list = await entries(dir);
  const setDirs = list.filter((e) => e.isDir && SET_DIR.test(e.name)).map((e) => e.name);
  const models = list.filter((e) => !e.isDir && e.name.toLowerCase().endsWith('.onnx')).map((e) => e.name);
  if (setDirs.length > 0 || models.length > 0) {
    // A test case: prefer model.onnx when a folder holds several models.
    const model = models.includes('model.onnx') ? 'model.onnx' : models.sort()[0];
    setDirs.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    out.push({
      name: basename(dir),
      dir,
      model: model ? join(dir, model) : null,
      sets: await Promise.all(setDirs.map((s) => readSet(join(dir, s)))),
    });
    return;
  }
  if (depth >= MAX_DEPTH) return;
  const subdirs = list.filter((e) => e.isDir && !e.name.startsWith('.')).map((e) => e.name);
  subdirs.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  for (const s of subdirs) await scan(join(dir, s), depth + 1, out);
}

/** Why a folder given cannot be checked at all, or null when it can be scanned. */
async function folderProblem(dir: string): Promise<string | null> {
  try {
    if ((await stat(dir)).isDirectory()) return null;
  } catch {
    return `${basename(dir)}: no such folder (${dir})`;
  }
  return `${basename(dir)} is a file; choose a test folder (model.onnx with test_data_set_* folders) or a folder of them`;
}

/**
 * Test cases under each folder, in a stable order. A folder that is missing, is a file, cannot be
 * read or holds no test case is one failed entry (with its `problem`); the others are still checked.
 */
export async function findTestCases(dirs: readonly string[]): Promise<TestCase[]> {
  const out: TestCase[] = [];
  for (const dir of dirs) {
    const failed = (problem: string) => out.push({ name: basename(dir), dir, model: null, sets: [], problem });
    const problem = await folderProblem(dir);
    if (problem) {
      failed(problem);
      continue;
    }
    const before = out.length;
    try {
      await scan(dir, 0, out);
    } catch (error) {
      out.splice(before);
      failed(`${basename(dir)} cannot be read: ${(error as Error).message}`);
      continue;
    }
    if (out.length === before)
      failed(`${basename(dir)}: no test cases found (a test case is a folder with model.onnx and test_data_set_* folders)`);
  }
  return out;
}
