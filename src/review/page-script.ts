/**
 * The review page's script (inlined; the page's CSP allows exactly this text by its hash): filters by
 * recipe, asset, status and text, kept in the URL's `#…`; keyboard navigation between cards (arrows,
 * Home/End), Enter for the large view and Escape to close it (←/→ there move between cards); steps opened
 * on demand; copying the pick command. Plain ES2020, no network, nothing outside the page.
 */
export const PAGE_SCRIPT = `
(function () {
  'use strict';
  var $ = function (selector) { return document.querySelector(selector); };
  var cards = Array.prototype.slice.call(document.querySelectorAll('[data-card]'));
  var groups = Array.prototype.slice.call(document.querySelectorAll('[data-group]'));
  var recipeFilter = $('#filter-recipe');
  var assetFilter = $('#filter-asset');
  var statusFilter = $('#filter-status');
  var searchFilter = $('#filter-search');
  var count = $('#count');
  var empty = $('#empty');
  var viewer = $('#viewer');
  var viewerImage = $('#viewer-image');
  var viewerCaption = $('#viewer-caption');
  var viewerOpen = $('#viewer-open');
  var viewerNote = $('#viewer-note');
  var current = null;
  var tabbable = null;
  var viewing = null;

  function visibleCards() { return cards.filter(function (card) { return !card.hidden; }); }

  function readHash() {
    var params = new URLSearchParams(location.hash.slice(1));
    recipeFilter.value = params.get('recipe') || '';
    assetFilter.value = params.get('asset') || '';
    statusFilter.value = params.get('status') || '';
    searchFilter.value = params.get('q') || '';
    if (recipeFilter.selectedIndex < 0) recipeFilter.value = '';
    if (assetFilter.selectedIndex < 0) assetFilter.value = '';
    if (statusFilter.selectedIndex < 0) statusFilter.value = '';
  }

  function writeHash() {
    var params = new URLSearchParams();
    if (recipeFilter.value) params.set('recipe', recipeFilter.value);
    if (assetFilter.value) params.set('asset', assetFilter.value);
    if (statusFilter.value) params.set('status', statusFilter.value);
    if (searchFilter.value) params.set('q', searchFilter.value);
    var hash = params.toString();
    try { history.replaceState(null, '', hash ? '#' + hash : location.pathname + location.search); } catch (e) { /* ignore */ }
  }

  function applyFilters() {
    var recipe = recipeFilter.value;
    Array.prototype.forEach.call(assetFilter.options, function (option) {
      option.hidden = option.value !== '' && recipe !== '' && option.getAttribute('data-recipe') !== recipe;
    });
    if (assetFilter.selectedOptions[0] && assetFilter.selectedOptions[0].hidden) assetFilter.value = '';
    var asset = assetFilter.value;
    var status = statusFilter.value;
    var words = searchFilter.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var shown = 0;
    cards.forEach(function (card) {
      var d = card.dataset;
      var match = (!recipe || d.recipe === recipe) && (!asset || d.recipe + '/' + d.asset === asset) &&
        (!status || d.status === status) && words.every(function (word) { return d.search.indexOf(word) >= 0; });
      card.hidden = !match;
      if (match) shown += 1;
    });
    groups.forEach(function (group) { group.hidden = !group.querySelector('[data-card]:not([hidden])'); });
    count.textContent = shown === cards.length ? cards.length + ' cards' : shown + ' of ' + cards.length + ' cards';
    empty.hidden = shown > 0;
    if (!current || current.hidden) setCurrent(null);
    writeHash();
  }

  /** Roving tabindex: one card is reachable with Tab, the current one (else the first shown). */
  function makeTabbable(card) {
    if (tabbable) tabbable.tabIndex = -1;
    tabbable = card;
    if (card) card.tabIndex = 0;
  }

  function setCurrent(card, focus) {
    if (current) current.classList.remove('current');
    current = card;
    makeTabbable(card || visibleCards()[0] || null);
    if (!card) return;
    card.classList.add('current');
    if (focus !== false) { card.focus({ preventScroll: true }); card.scrollIntoView({ block: 'nearest' }); }
  }

  function centre(rect) { return rect.left + rect.width / 2; }

  /** The card in the next row below (direction 1) or above (-1), nearest horizontally. */
  function vertical(list, from, direction) {
    var rect = from.getBoundingClientRect();
    var best = null; var bestRow = null; var bestDx = Infinity;
    list.forEach(function (card) {
      if (card === from) return;
      var r = card.getBoundingClientRect();
      var row = r.top;
      if (direction > 0 ? row <= rect.top + 2 : row >= rect.top - 2) return;
      if (bestRow !== null && (direction > 0 ? row > bestRow + 2 : row < bestRow - 2)) return;
      if (bestRow === null || Math.abs(row - bestRow) > 2) { bestRow = row; bestDx = Infinity; best = null; }
      var dx = Math.abs(centre(r) - centre(rect));
      if (dx < bestDx) { bestDx = dx; best = card; }
    });
    return best;
  }

  function largeLink(card) { return card ? card.querySelector('.frame[data-large]') : null; }

  function show(link) {
    viewerNote.hidden = true;
    viewerImage.setAttribute('data-fallback', link.getAttribute('data-thumb'));
    viewerImage.src = link.getAttribute('href');
    viewerImage.alt = link.getAttribute('data-caption');
    viewerCaption.textContent = link.getAttribute('data-caption');
    viewerOpen.href = link.getAttribute('href');
  }

  function openViewer(card, link) {
    link = link || largeLink(card);
    if (!link) return;
    viewing = card;
    setCurrent(card, false);
    show(link);
    if (!viewer.open) viewer.showModal();
  }

  function moveViewer(direction) {
    var list = visibleCards().filter(largeLink);
    var index = list.indexOf(viewing);
    var next = list[index + direction];
    if (next) { viewing = next; setCurrent(next, false); show(largeLink(next)); }
  }

  viewerImage.addEventListener('error', function () {
    var fallback = viewerImage.getAttribute('data-fallback');
    if (fallback && viewerImage.getAttribute('src') !== fallback) {
      viewerImage.src = fallback;
      viewerNote.hidden = false;
    }
  });
  viewer.addEventListener('close', function () { if (viewing) setCurrent(viewing); viewing = null; });
  viewer.addEventListener('click', function (event) { if (event.target === viewer || event.target.closest('.stage')) viewer.close(); });
  $('#viewer-close').addEventListener('click', function () { viewer.close(); });
  $('#viewer-prev').addEventListener('click', function () { moveViewer(-1); });
  $('#viewer-next').addEventListener('click', function () { moveViewer(1); });

  function openSteps(details) {
    var template = details.querySelector('template');
    if (template) { details.appendChild(template.content.cloneNode(true)); template.remove(); }
  }

  document.addEventListener('toggle', function (event) {
    if (event.target.matches && event.target.matches('[data-steps]') && event.target.open) openSteps(event.target);
  }, true);

  document.addEventListener('click', function (event) {
    var link = event.target.closest('[data-large]');
    var card = event.target.closest('[data-card]');
    if (link && card) { event.preventDefault(); openViewer(card, link); return; }
    var copy = event.target.closest('[data-copy]');
    if (copy) {
      var code = copy.parentNode.querySelector('code');
      var done = function () { copy.textContent = 'Copied'; setTimeout(function () { copy.textContent = 'Copy'; }, 1500); };
      var select = function () { var range = document.createRange(); range.selectNodeContents(code); getSelection().removeAllRanges(); getSelection().addRange(range); };
      if (navigator.clipboard) navigator.clipboard.writeText(code.textContent).then(done, select); else select();
      return;
    }
    if (card && !event.target.closest('a, button, summary, select, input')) setCurrent(card, false);
  });

  document.addEventListener('focusin', function (event) {
    if (event.target.matches && event.target.matches('[data-card]') && event.target !== current) setCurrent(event.target, false);
  });

  document.addEventListener('keydown', function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (viewer.open) {
      if (event.key === 'ArrowRight') { moveViewer(1); event.preventDefault(); }
      else if (event.key === 'ArrowLeft') { moveViewer(-1); event.preventDefault(); }
      return; /* Escape closes the dialog natively */
    }
    var target = event.target;
    if (target.matches('input, select, textarea')) {
      if (event.key === 'Escape') target.blur();
      return;
    }
    if (event.key === '/') { searchFilter.focus(); event.preventDefault(); return; }
    var list = visibleCards();
    if (list.length === 0) return;
    var here = current && !current.hidden ? current : null;
    var index = here ? list.indexOf(here) : -1;
    var next = null;
    switch (event.key) {
      case 'ArrowRight': next = here ? list[Math.min(index + 1, list.length - 1)] : list[0]; break;
      case 'ArrowLeft': next = here ? list[Math.max(index - 1, 0)] : list[0]; break;
      case 'ArrowDown': next = here ? vertical(list, here, 1) || here : list[0]; break;
      case 'ArrowUp': next = here ? vertical(list, here, -1) || here : list[0]; break;
      case 'Home': next = list[0]; break;
      case 'End': next = list[list.length - 1]; break;
      case 'Enter':
        if (here && (target === here || target === document.body)) { openViewer(here); event.preventDefault(); }
        return;
      case 's':
        if (here) { var steps = here.querySelector('[data-steps]'); if (steps) steps.open = !steps.open; }
        return;
      default: return;
    }
    event.preventDefault();
    setCurrent(next);
  });

  [recipeFilter, assetFilter, statusFilter].forEach(function (select) { select.addEventListener('change', applyFilters); });
  searchFilter.addEventListener('input', applyFilters);
  window.addEventListener('hashchange', function () { readHash(); applyFilters(); });
  readHash();
  applyFilters();
  document.documentElement.setAttribute('data-ready', '');
})();
`;
