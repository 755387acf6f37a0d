// Turns `--input [NAME=]FILE`, `--recipe`, `--set` and `--dim` into the model.run inputs:
// images through a recipe, tensor files, .wav audio, and generated values for the rest.
import { readFile } from 'node:fs/promises';
import { freemem } from 'node:os';
import { basename, extname, resolve } from 'node:path';
import type { ModelInfo, ValueInfo } from '../../shared/model-info';
import { type ModelRecipe, parseRecipeFile, recipeForInput } from '../../shared/model-recipe';
import type { PreprocessRecipe } from '../../shared/recipe';
import type { RunInputSource } from '../../shared/run';
import { isFloatDType } from '../../shared/tensor';
import { type TilePlan, type TileSettings, planInputTiles } from '../../shared/tiles';
import { fsError } from '../common/fs';
import { type Caller, CliFailure, UsageError, parseCount, parsePairs } from './args';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.bmp', '.heic']);

export interface InputOptions {
  specs: string[];
  recipeFile?: string;
  sampleRate: number;
  /** Constants for missing inputs (scalars such as `sr`). */
  constants: Map<string, number>;
  /** Sizes for symbolic dims, by dim name or as "input[k]". */
  dims: Map<string, number>;
  /** What missing inputs become; null: missing inputs are an error. */
  missing: 'zeros' | 'random' | null;
  /** Where guessed-recipe notes go (nowhere with --json). */
  note(line: string): void;
}

/** InputOptions from the flags run, bench and profile share (inputFlags). */
export function inputOptions(
  values: { input?: string[]; recipe?: string; 'sample-rate'?: string; set?: string[] },
  dims: Map<string, number>,
  missing: InputOptions['missing'],
  note: (line: string) => void,
): InputOptions {
  return {
    specs: values.input ?? [],
    recipeFile: values.recipe,
    sampleRate: parseCount('--sample-rate', values['sample-rate'], 16000, 1000),
    constants: parsePairs('--set', values.set),
    dims,
    missing,
    note,
  };
}

interface Given {
  name?: string;
  path: string;
}

function splitSpec(spec: string, names: Set<string>): Given {
  const at = spec.indexOf('=');
  if (at > 0 && names.has(spec.slice(0, at))) return { name: spec.slice(0, at), path: resolve(spec.slice(at + 1)) };
  if (at > 0 && !spec.slice(0, at).includes('/') && !spec.slice(0, at).includes('\\'))
    throw new UsageError(`the model has no input named "${spec.slice(0, at)}" (inputs: ${[...names].join(', ')})`);
  return { path: resolve(spec) };
}

/** A recipe file: a model recipe (inputs, task, options), { inputs: { NAME: recipe } }, or one bare recipe. */
export async function readRecipeFile(file: string | undefined): Promise<ModelRecipe | null> {
  if (!file) return null;
  const path = resolve(file);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw fsError(error, path, { what: 'recipe file' });
    throw new CliFailure(`${path} is not a JSON recipe: ${error.message}`);
  }
  const parsed = parseRecipeFile(raw);
  if (!parsed.ok) throw new CliFailure(`${path} is not a valid recipe: ${parsed.message}`);
  return parsed.recipe;
}

async function readRecipes(file: string | undefined): Promise<((input: string) => PreprocessRecipe | undefined) | null> {
  const recipe = await readRecipeFile(file);
  return recipe ? (input) => recipeForInput(recipe, input) : null;
}

function dimsFor(input: ValueInfo, overrides: Map<string, number>): number[] {
  if (input.shape === null) throw new CliFailure(`input '${input.name}' has no known shape: give it with --input`);
  return input.shape.map((d, k) => {
    if (typeof d === 'number') return d;
    return overrides.get(d ?? `${input.name}[${k}]`) ?? overrides.get(`${input.name}[${k}]`) ?? 1;
  });
}

function generated(input: ValueInfo, options: InputOptions): RunInputSource {
  const dims = dimsFor(input, options.dims);
  const constant = options.constants.get(input.name);
  if (constant !== undefined) return { kind: 'generate', generator: 'constant', value: constant, dims };
  if (options.missing === 'random' && isFloatDType(input.dtype ?? 'float32'))
    return { kind: 'generate', generator: 'uniform', low: 0, high: 1, seed: 1, dims };
  return { kind: 'generate', generator: 'zeros', dims };
}

/** The inputs of one run, matched by NAME=, then by the name inside a .pb, then by position. */
export async function buildInputs(
  call: Caller,
  modelPath: string,
  info: ModelInfo,
  options: InputOptions,
): Promise<Record<string, RunInputSource>> {
  const all = [...info.inputs, ...info.optionalInputs];
  const names = new Set(all.map((i) => i.name));
  for (const name of options.constants.keys())
    if (!names.has(name)) throw new UsageError(`--set ${name}: the model has no input named "${name}"`);
  const given = options.specs.map((s) => splitSpec(s, names));
  const assigned = new Map<string, string>();
  const unnamed: string[] = [];
  for (const g of given) {
    let name = g.name;
    if (!name && extname(g.path).toLowerCase() === '.pb') {
      const { summary } = await call('tensor.read', { source: { kind: 'file', path: g.path } });
      if (names.has(summary.name) && !assigned.has(summary.name)) name = summary.name;
    }
    if (name) {
      if (assigned.has(name)) throw new UsageError(`input "${name}" is given twice`);
      assigned.set(name, g.path);
    } else unnamed.push(g.path);
  }
  const open = info.inputs.filter((i) => !assigned.has(i.name));
  if (unnamed.length > open.length)
    throw new UsageError(`${unnamed.length} unnamed --input files but only ${open.length} model inputs left to fill`);
  unnamed.forEach((path, k) => assigned.set(open[k].name, path));

  const recipes = await readRecipes(options.recipeFile);
  const sources: Record<string, RunInputSource> = {};
  for (const [name, path] of assigned) {
    const ext = extname(path).toLowerCase();
    if (IMAGE_EXTENSIONS.has(ext)) {
      let recipe = recipes?.(name);
      if (!recipe) {
        const guess = await call('image.guessRecipe', { modelPath, input: name });
        recipe = guess.recipe;
        options.note(`Recipe for "${name}" (guessed; save one and pass --recipe to change it):`);
        for (const n of guess.notes) options.note(`  - ${n}`);
      }
      sources[name] = { kind: 'image', paths: [path], recipe };
    } else if (ext === '.wav') {
      sources[name] = { kind: 'audio', path, sampleRate: options.sampleRate };
    } else {
      sources[name] = { kind: 'file', path };
    }
  }
  const missing = info.inputs.filter((i) => !sources[i.name]);
  const fillable = missing.filter((i) => options.missing !== null || options.constants.has(i.name));
  const unfilled = missing.filter((i) => !fillable.includes(i));
  if (unfilled.length) {
    const list = unfilled.map((i) => `'${i.name}'`).join(', ');
    throw new CliFailure(
      `${basename(modelPath)}: no value for input ${list}: give it with --input NAME=FILE, --set NAME=VALUE, or use --generate-missing`,
    );
  }
  for (const input of fillable) sources[input.name] = generated(input, options);
  // Optional inputs keep their defaults unless given a file or a constant.
  for (const input of info.optionalInputs)
    if (!sources[input.name] && options.constants.has(input.name)) sources[input.name] = generated(input, options);
  return sources;
}

/** Named --dim values become session free-dimension overrides (unnamed "x[k]" keys do not). */
export function namedDims(dims: Map<string, number>): Record<string, number> | undefined {
  const named = [...dims].filter(([key]) => !key.includes('['));
  return named.length ? Object.fromEntries(named) : undefined;
}

export const tileFlags = {
  tile: { type: 'string' },
  'tile-overlap': { type: 'string' },
} as const;

/** --tile auto|N|off and --tile-overlap N|auto: tiles for images larger than the model's input. */
export function parseTileFlags(values: { tile?: string; 'tile-overlap'?: string }): TileSettings | 'off' | undefined {
  const { tile, 'tile-overlap': overlap } = values;
  if (tile === undefined) {
    if (overlap !== undefined) throw new UsageError('--tile-overlap goes with --tile auto|N');
    return undefined;
  }
  if (tile === 'off') {
    if (overlap !== undefined) throw new UsageError('--tile-overlap does not go with --tile off');
    return 'off';
  }
  const size = tile === 'auto' ? 'auto' : parseCount('--tile', tile, 0, 16);
  if (typeof size === 'number' && size > 8192) throw new UsageError(`--tile must be at most 8192, not ${size}`);
  const over = overlap === undefined || overlap === 'auto' ? 'auto' : parseCount('--tile-overlap', overlap, 0, 0);
  if (typeof over === 'number' && typeof size === 'number' && over >= size)
    throw new UsageError(`--tile-overlap must be less than the tile size ${size}, not ${over}`);
  return { size, overlap: over };
}

/** The run's image inputs with the tiles asked for (or without any, for 'off'). */
export function withTiles(
  info: ModelInfo,
  inputs: Record<string, RunInputSource>,
  tile: TileSettings | 'off' | undefined,
): Record<string, RunInputSource> {
  if (tile === undefined) return inputs;
  const images = Object.entries(inputs).filter(([, s]) => s.kind === 'image');
  if (!images.length) throw new UsageError('--tile needs an image input (--input IMAGE)');
  const out = { ...inputs };
  for (const [name, source] of images) {
    if (source.kind !== 'image') continue;
    const { tile: _, ...recipe } = source.recipe;
    out[name] = { ...source, recipe: tile === 'off' ? recipe : { ...recipe, tile } };
    const input = info.inputs.find((v) => v.name === name);
    if (tile !== 'off' && input) checkTiles(tile, input, recipe.layout);
  }
  return out;
}

/** Tiles that cannot fit the model are a usage error (exit 2), said before anything runs. */
export function checkTiles(tile: TileSettings, input: ValueInfo, layout: string): TilePlan {
  try {
    return planInputTiles(tile, input, layout, freemem());
  } catch (error) {
    throw new CliFailure(`Tiles: ${(error as Error).message}`, 2);
  }
}
