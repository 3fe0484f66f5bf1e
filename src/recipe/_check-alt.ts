/**
 * `alt:` — the alt text template, checked for every asset instance like a prompt: its variables must
 * exist, and a `{{ steps.<id>.text }}` must name a text step (any step: alt is rendered after all ran).
 */
import { checkTemplateText, type TemplateScope } from './_check-templates.js';
import type { CheckContext } from './_context.js';

export function checkAlt(
  context: CheckContext,
  instanceCount: number,
  scope: (instanceIndex: number) => TemplateScope,
): void {
  const { alt } = context.data;
  if (typeof alt !== 'string' || context.problems.hasAtOrBelow(['alt'])) return;
  // Like an input: the output-only variables (width, format, …) are not set for alt text. Problems are
  // said once per variable, not once per instance.
  for (let index = 0; index < instanceCount; index++)
    checkTemplateText(alt, ['alt'], { ...scope(index), place: 'input' }, context.problems);
}
