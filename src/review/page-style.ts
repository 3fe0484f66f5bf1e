/** The review page's stylesheet (inlined; the page's CSP allows exactly this text by its hash). */
export const PAGE_STYLE = `
:root { color-scheme: light dark; --bg: #f4f4f2; --fg: #1d1d1b; --muted: #6b6b66; --card: #fff; --line: #deded9;
  --accent: #2f5bd3; --bad: #b3261e; --warn: #8a5a00; --ok: #1e7a3a; --check-a: #e8e8e6; --check-b: #fafafa; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #1b1b1a; --fg: #ececea; --muted: #a3a39d; --card: #262624; --line: #3a3a37; --accent: #8fb0ff;
    --bad: #ff8a80; --warn: #f0c36d; --ok: #7fd89a; --check-a: #333331; --check-b: #3d3d3a; }
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--fg); }
a { color: var(--accent); }
.bar { position: sticky; top: 0; z-index: 2; display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center;
  padding: 10px 20px; background: var(--card); border-bottom: 1px solid var(--line); }
.bar h1 { font-size: 16px; margin: 0 8px 0 0; }
.bar label { display: inline-flex; gap: 6px; align-items: center; color: var(--muted); }
.bar select, .bar input { font: inherit; padding: 3px 6px; border: 1px solid var(--line); border-radius: 6px;
  background: var(--bg); color: var(--fg); max-width: 22ch; }
.bar .count { margin-left: auto; color: var(--muted); }
.bar kbd, .help kbd { font: 12px ui-monospace, monospace; border: 1px solid var(--line); border-radius: 4px; padding: 0 4px; }
.help { color: var(--muted); font-size: 12px; }
main { padding: 8px 20px 40px; }
.meta { color: var(--muted); margin: 8px 0 0; }
.recipe > h2 { font-size: 20px; margin: 28px 0 4px; }
.recipe > h2 small, .asset > h3 small { font-weight: normal; color: var(--muted); font-size: 13px; margin-left: 8px; }
.asset > h3 { font-size: 15px; margin: 18px 0 8px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 12px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 10px; display: flex;
  flex-direction: column; gap: 6px; min-width: 0; outline: none; }
.card:focus-visible, .card.current { box-shadow: 0 0 0 3px var(--accent); }
.card header { display: flex; gap: 6px; align-items: center; }
.card h4 { margin: 0; font-size: 13px; font-family: ui-monospace, monospace; overflow-wrap: anywhere; flex: 1; }
.badge { font-size: 11px; border-radius: 999px; padding: 1px 7px; border: 1px solid currentColor; white-space: nowrap; }
.status-ok { color: var(--ok); } .status-failed { color: var(--bad); } .status-skipped, .status-cancelled { color: var(--warn); }
.cached { color: var(--muted); }
.frame, .step-image { display: flex; align-items: center; justify-content: center; border-radius: 6px; overflow: hidden;
  background: var(--bg); }
.frame { height: 200px; cursor: zoom-in; }
.frame img, .step-image img { max-width: 100%; max-height: 100%; width: auto; height: auto; display: block;
  background: repeating-conic-gradient(var(--check-a) 0 25%, var(--check-b) 0 50%) 0 0 / 16px 16px; }
.no-preview { cursor: default; background: var(--bg); color: var(--muted); text-align: center; padding: 8px; }
.prompt { margin: 0; display: -webkit-box; -webkit-line-clamp: 3; -webkit-box-orient: vertical; overflow: hidden; }
.facts { display: grid; grid-template-columns: auto 1fr; gap: 1px 8px; margin: 0; font-size: 12px; }
.facts dt { color: var(--muted); } .facts dd { margin: 0; overflow-wrap: anywhere; }
.version, .offline { color: var(--muted); font-family: ui-monospace, monospace; font-size: 11px; }
.error { margin: 0; color: var(--bad); font-size: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
.note { margin: 0; color: var(--warn); font-size: 12px; }
.pick { display: flex; gap: 6px; align-items: flex-start; }
.pick code { flex: 1; font-size: 11px; background: var(--bg); border-radius: 4px; padding: 3px 5px; overflow-wrap: anywhere; user-select: all; }
button { font: inherit; font-size: 12px; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); cursor: pointer; }
.steps summary { cursor: pointer; color: var(--muted); font-size: 12px; }
.steps ol { list-style: none; padding: 0; margin: 6px 0; display: grid; gap: 8px; }
.steps .step-name { margin: 0 0 3px; font-size: 12px; overflow-wrap: anywhere; }
.step-image { height: 120px; cursor: zoom-in; }
.step-text { margin: 0; font-size: 12px; white-space: pre-wrap; border-left: 3px solid var(--line); padding-left: 6px; }
.files { width: 100%; font-size: 11px; border-collapse: collapse; }
.files td { padding: 1px 4px 1px 0; overflow-wrap: anywhere; }
.empty { color: var(--muted); padding: 40px 0; text-align: center; }
dialog.viewer { border: 0; padding: 0; max-width: none; max-height: none; width: 100vw; height: 100vh;
  background: rgba(10, 10, 10, 0.92); color: #eee; }
dialog.viewer::backdrop { background: transparent; }
.viewer .stage { position: absolute; inset: 0 0 64px 0; display: flex; align-items: center; justify-content: center; padding: 16px; }
.viewer .stage img { max-width: 100%; max-height: 100%; object-fit: contain;
  background: repeating-conic-gradient(#555 0 25%, #777 0 50%) 0 0 / 16px 16px; }
.viewer .caption { position: absolute; left: 0; right: 0; bottom: 0; height: 64px; padding: 8px 16px; display: flex;
  gap: 12px; align-items: center; font-size: 13px; }
.viewer .caption p { margin: 0; flex: 1; overflow: hidden; text-overflow: ellipsis; display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; }
.viewer a { color: #9cb8ff; }
.viewer button { background: #333; color: #eee; border-color: #555; padding: 4px 10px; }
.dev-panel { margin: 12px 0 0; padding: 10px 12px; border: 1px solid var(--line); border-radius: 10px; background: var(--card); }
.dev-panel h2 { font-size: 14px; margin: 0 0 4px; display: flex; gap: 8px; align-items: center; }
.dev-panel p { margin: 2px 0; }
.dev-panel .phase { font-size: 11px; border-radius: 999px; padding: 1px 7px; border: 1px solid currentColor; }
.dev-panel .phase-invalid, .dev-panel .phase-failed, .dev-panel .phase-over-budget { color: var(--bad); }
.dev-panel .phase-confirm { color: var(--warn); } .dev-panel .phase-idle { color: var(--ok); }
.dev-problems { margin: 6px 0 0; padding: 0; list-style: none; font: 12px/1.5 ui-monospace, monospace; color: var(--bad); }
.dev-problems li { white-space: pre-wrap; overflow-wrap: anywhere; }
.dev-confirm { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin-top: 6px; }
.dev-confirm button { padding: 3px 10px; }
.dev-confirm button[value="run"] { border-color: var(--accent); color: var(--accent); }
`;
