// Recipes saved per model in the app's data folder (one small JSON file per model), exported to
// and imported from files the user chooses. A recipe is found again by the model's absolute path.
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { type ModelRecipeInput, type SavedRecipe, modelRecipeSchema, parseRecipeFile } from '../../shared/model-recipe';
import { WorkbenchError } from '../../shared/result';
import type { TaskSettings } from '../../shared/tasks';
import { fsError, writeNew } from '../common/fs';
import { JsonStore } from '../common/json-store';
import { readRegularFile } from '../common/regular-file';

interface Saved {
  model: string;
  savedAt: string;
  recipe: unknown;
}

const isSaved = (v: unknown): v is Saved =>
  !!v && typeof v === 'object' && typeof (v as Saved).model === 'string' && 'recipe' in v;

export class RecipeStore {
  constructor(private readonly dir: string) {}

  fileFor(modelPath: string): string {
    const hash = createHash('sha256').update(modelPath).digest('hex').slice(0, 16);
    const stem = basename(modelPath)
      .replace(/[^\w.-]+/g, '_')
      .slice(0, 60);
    return join(this.dir, `${stem}-${hash}.json`);
  }

  private store(modelPath: string): JsonStore<Saved | null> {
    return new JsonStore<Saved | null>(
      this.fileFor(modelPath),
      () => null,
      (v): v is Saved | null => v === null || isSaved(v),
    );
  }

  async get(modelPath: string): Promise<SavedRecipe> {
    const file = this.fileFor(modelPath);
    const saved = await this.store(modelPath).read();
    if (!saved || saved.model !== modelPath) return { recipe: null, file, savedAt: null };
    const parsed = modelRecipeSchema.safeParse(saved.recipe);
    // A recipe from an older or damaged file is not used, but it stays on disk until the next save.
    return parsed.success ? { recipe: parsed.data, file, savedAt: saved.savedAt } : { recipe: null, file, savedAt: null };
  }

  /**
   * The saved recipe, with a task always: the first time a model is opened (no saved task yet)
   * the suggested one is stored, so Run, Batch, Pipeline and exports read the same task until
   * the user changes it. Without a suggestion (the model cannot be read) nothing is stored.
   */
  async getWithTask(modelPath: string, suggest: () => Promise<TaskSettings | null>): Promise<SavedRecipe> {
    const first = await this.get(modelPath);
    if (first.recipe?.task) return first;
    const task = await suggest().catch(() => null);
    if (!task) return first;
    // Read again after the (slow) suggestion: a recipe saved meanwhile (by the user, or by the
    // other of library.opened / recipe.get) is kept, and the task only added where still missing.
    const saved = await this.get(modelPath);
    if (saved.recipe?.task) return saved;
    return this.save(modelPath, { ...(saved.recipe ?? {}), task });
  }

  async save(modelPath: string, input: ModelRecipeInput): Promise<SavedRecipe> {
    const recipe = modelRecipeSchema.parse({ model: basename(modelPath), ...input });
    const savedAt = new Date().toISOString();
    await this.store(modelPath).write({ model: modelPath, savedAt, recipe });
    return { recipe, file: this.fileFor(modelPath), savedAt };
  }

  /** Writes the model's recipe (saved, or the one given) to a JSON file; never over an existing file. */
  async exportTo(modelPath: string, to: string, given?: ModelRecipeInput): Promise<{ path: string; bytes: number }> {
    const recipe = given ? modelRecipeSchema.parse({ model: basename(modelPath), ...given }) : (await this.get(modelPath)).recipe;
    if (!recipe) throw new WorkbenchError('NOT_FOUND', `There is no saved recipe for ${modelPath} yet.`);
    const bytes = Buffer.from(`${JSON.stringify(recipe, null, 2)}\n`);
    await writeNew(to, bytes);
    return { path: to, bytes: bytes.byteLength };
  }

  /** Reads a recipe file (any form the CLI takes) and saves it as the model's recipe. */
  async importFrom(modelPath: string, from: string): Promise<SavedRecipe> {
    let raw: unknown;
    try {
      raw = JSON.parse((await readRegularFile(from, 'a recipe file')).toString('utf8'));
    } catch (error) {
      if (error instanceof SyntaxError) throw new WorkbenchError('INVALID_INPUT', `${from} is not JSON: ${error.message}`);
      throw fsError(error, from, { what: 'recipe file' });
    }
    const parsed = parseRecipeFile(raw);
    if (!parsed.ok) throw new WorkbenchError('INVALID_INPUT', `${from} is not a valid recipe: ${parsed.message}`);
    await mkdir(this.dir, { recursive: true });
    return this.save(modelPath, parsed.recipe);
  }
}
