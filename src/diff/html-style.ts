/** The change report page's style sheet (inline in the page: it loads nothing). */
export const STYLE = `
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #59636e; --bg: #ffffff; --card: #f6f8fa; --line: #d1d9e0;
  --changed: #9a6700; --added: #1a7f37; --removed: #cf222e; --unchanged: #59636e; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --card: #151b23; --line: #3d444d;
  --changed: #d29922; --added: #3fb950; --removed: #f85149; --unchanged: #9198a1; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header.top, main, footer { max-width: 1200px; margin: 0 auto; padding: 0 20px; }
header.top { padding-top: 16px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 12px; display: inline-block; }
h2 small { color: var(--muted); font-weight: normal; }
h3 { font-size: 15px; margin: 0; word-break: break-all; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; background: var(--card); padding: 1px 4px; border-radius: 4px; }
.folders, .cost, .legend, footer { color: var(--muted); }
.legend { font-size: 12px; }
nav.counts { display: flex; gap: 8px; flex-wrap: wrap; margin: 8px 0; }
.count { text-decoration: none; color: var(--fg); border: 1px solid var(--line); border-radius: 999px; padding: 2px 12px; }
.count.changed b { color: var(--changed); } .count.added b { color: var(--added); }
.count.removed b { color: var(--removed); } .count.unchanged b { color: var(--unchanged); }
article.asset { background: var(--card); border: 1px solid var(--line); border-left: 4px solid var(--line); border-radius: 6px; padding: 12px 16px; margin: 0 0 16px; }
article.changed { border-left-color: var(--changed); } article.added { border-left-color: var(--added); }
article.removed { border-left-color: var(--removed); }
article header { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; }
.badge { font-size: 12px; border-radius: 999px; padding: 0 8px; color: #fff; }
.badge.changed { background: var(--changed); } .badge.added { background: var(--added); } .badge.removed { background: var(--removed); }
.score { font-weight: 600; }
ul.reasons, ul.notes { margin: 8px 0; padding-left: 18px; }
ul.notes { color: var(--muted); font-style: italic; }
.kind { font-size: 12px; font-weight: 600; border: 1px solid var(--line); border-radius: 4px; padding: 0 6px; margin-right: 2px; }
.reasons details { margin: 2px 0 4px; } .reasons dl { margin: 4px 0; } .reasons dd { margin: 0 0 4px 16px; white-space: pre-wrap; }
.figures { display: flex; gap: 12px; flex-wrap: wrap; align-items: flex-start; margin-top: 8px; }
figure { margin: 0; width: 320px; max-width: 100%; }
figure img, figure .none { display: block; width: 100%; height: auto; border: 1px solid var(--line); border-radius: 4px;
  background: repeating-conic-gradient(#c8c8c8 0% 25%, #f0f0f0 0% 50%) 50% / 16px 16px; }
figure .none { aspect-ratio: 4 / 3; display: flex; align-items: center; justify-content: center; color: #59636e; }
figcaption { font-size: 12px; color: var(--muted); word-break: break-all; margin-top: 4px; }
details.files { margin-top: 8px; } details.files summary { cursor: pointer; color: var(--muted); }
table { border-collapse: collapse; margin-top: 6px; font-size: 12px; }
th, td { text-align: left; padding: 2px 10px 2px 0; border-bottom: 1px solid var(--line); word-break: break-all; }
tr.file-changed td:nth-child(2) { color: var(--changed); } tr.file-added td:nth-child(2) { color: var(--added); }
tr.file-removed td:nth-child(2) { color: var(--removed); }
#unchanged summary { cursor: pointer; } #unchanged summary h2 { margin: 28px 0 8px; }
ul.unchanged { columns: 3 240px; color: var(--muted); }
.nothing { font-size: 16px; }
footer { margin: 32px auto 24px; font-size: 12px; }
`;
