/**
 * The dev session's panel above the cards: the phase, one line of what happens, the recipes' problems
 * (file:line:column), the confirmation a paid change waits for (Run it / Skip), what the last run did
 * and the session's spend. Everything shown is escaped here.
 */
import { text } from '../review/html.js';
import { formatDevUsd as usd } from './confirmation.js';
import type { DevState } from './types.js';

const PHASE_LABEL: Record<DevState['phase'], string> = {
  starting: 'starting',
  running: 'running',
  confirm: 'waiting for you',
  idle: 'up to date',
  invalid: 'invalid recipe',
  failed: 'failed',
  'over-budget': 'over --max-cost',
};

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

function confirmation(state: DevState): string {
  const request = state.pending;
  if (request === null) return '';
  const cost = request.estimatedUsd === null ? 'an unknown cost' : `about ${usd(request.estimatedUsd)}`;
  return (
    `<div class="dev-confirm" id="dev-confirm"><span>This change runs ${text(plural(request.tasks, 'task'))} on Replicate for ${text(cost)}.</span>` +
    `<button type="button" data-confirm="${request.id}" value="run">Run it</button>` +
    `<button type="button" data-confirm="${request.id}" value="skip">Skip</button></div>`
  );
}

function lastRun(state: DevState): string {
  const run = state.lastRun;
  if (run === null) return '';
  const replicate =
    state.provider === 'local' && run.replicateUsd !== null && run.replicateUsd > 0
      ? ` · on Replicate about ${usd(run.replicateUsd)}`
      : '';
  const failed = run.problems.map(
    (problem) => `<li>${text(problem.where)}  ${text(problem.asset)}: ${text(problem.error)}</li>`,
  );
  return (
    `<p class="dev-run" id="dev-run">last run: made ${run.made}, cached ${run.cached}, failed ${run.failed}` +
    `${run.skipped > 0 ? `, skipped ${run.skipped}` : ''} in ${(run.durationMs / 1000).toFixed(1)} s${text(replicate)}</p>` +
    (failed.length === 0 ? '' : `<ul class="dev-problems" id="dev-run-problems">${failed.join('')}</ul>`)
  );
}

export function renderPanel(state: DevState): string {
  const problems =
    state.problems.length === 0
      ? ''
      : `<ul class="dev-problems" id="dev-problems">${state.problems
          .map(
            (problem) =>
              `<li>${text(problem.where)}  ${text(problem.path || '(recipe)')}: ${text(problem.message)}</li>`,
          )
          .join('')}</ul>`;
  const spend =
    state.provider === 'replicate'
      ? `<p class="dev-spend" id="dev-spend">spent ${text(usd(state.spentUsd))} this session${
          state.maxCostUsd === null ? '' : ` of --max-cost ${text(usd(state.maxCostUsd))}`
        }</p>`
      : '<p class="dev-spend" id="dev-spend">offline: placeholders, nothing is spent</p>';
  return (
    `<section class="dev-panel" id="dev-panel" data-phase="${state.phase}" data-version="${state.version}" aria-live="polite">` +
    `<h2>assetgen dev <span class="phase phase-${state.phase}">${text(PHASE_LABEL[state.phase])}</span></h2>` +
    `<p id="dev-message">${text(state.message)}</p>${problems}${confirmation(state)}${lastRun(state)}${spend}</section>`
  );
}
