/** Types for scripts/gen-recipe-types.mjs (so tests can import it under tsc). */
export declare const typesFile: string;
/** The TypeScript source generated from schema/recipe.schema.json. */
export declare function generateRecipeTypes(): Promise<string>;
