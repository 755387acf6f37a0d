// A model's recipe: how each image input is prepared, which task reads the outputs (with its
// settings), and session options. Saved per model in the app's data folder, exportable as JSON,
// read by the CLI (`--recipe FILE`) and by batch jobs.
import { z } from 'zod';
import { preprocessRecipeSchema } from './recipe';
import { sessionOptionsSchema } from './run';
import { taskSettingsSchema } from './tasks';

export const RECIPE_FORMAT = 'onnx-workbench/recipe';

export const modelRecipeSchema = z.strictObject({
  format: z.literal(RECIPE_FORMAT).default(RECIPE_FORMAT),
  version: z.literal(1).default(1),
  /** The model the recipe was made for (file name; informative). */
  model: z.string().max(4096).optional(),
  /** Image inputs by name. */
  inputs: z.record(z.string().min(1).max(1000), preprocessRecipeSchema).default({}),
  task: taskSettingsSchema.optional(),
  options: sessionOptionsSchema.partial().optional(),
});
export type ModelRecipe = z.output<typeof modelRecipeSchema>;
export type ModelRecipeInput = z.input<typeof modelRecipeSchema>;

/** A model's saved recipe, as the app keeps it. */
export interface SavedRecipe {
  recipe: ModelRecipe | null;
  /** The file in the app's data folder that holds it. */
  file: string;
  savedAt: string | null;
}

/** The key of a recipe that applies to any image input (a file holding a bare PreprocessRecipe). */
export const ANY_INPUT = '*';

/**
 * Reads what a recipe file may hold: a model recipe (as saved or exported), `{ inputs: { NAME: recipe } }`,
 * or one bare preprocessing recipe (for any image input). Errors say where the file is wrong.
 */
export function parseRecipeFile(raw: unknown): { ok: true; recipe: ModelRecipe } | { ok: false; message: string } {
  const where = (issue: { path: PropertyKey[]; message: string } | undefined): string =>
    issue ? `${issue.path.length ? `${issue.path.map(String).join('.')}: ` : ''}${issue.message}` : 'invalid';
  if (raw && typeof raw === 'object' && ('inputs' in raw || 'task' in raw || 'format' in raw)) {
    const parsed = modelRecipeSchema.safeParse(raw);
    return parsed.success ? { ok: true, recipe: parsed.data } : { ok: false, message: where(parsed.error.issues[0]) };
  }
  const bare = preprocessRecipeSchema.safeParse(raw);
  if (!bare.success) return { ok: false, message: where(bare.error.issues[0]) };
  return { ok: true, recipe: modelRecipeSchema.parse({ inputs: { [ANY_INPUT]: bare.data } }) };
}

/** The preprocessing recipe of one input: its own, else the one for any input. */
export function recipeForInput(recipe: ModelRecipe, input: string) {
  return recipe.inputs[input] ?? recipe.inputs[ANY_INPUT];
}
