import { signal } from '@preact/signals';
import { parseView, viewSearch } from './journal-query.js';
import type { PageView } from './journal-query.js';

function readLocation(): PageView {
  const { view, needsCanonical } = parseView(location.search);
  // Write the filled-in default range into the URL, so the address bar always reproduces the view.
  if (needsCanonical)
    history.replaceState(null, '', `${location.pathname}${viewSearch(view)}${location.hash}`);
  return view;
}

/** What the page shows; always equal to the URL's query string. */
export const currentView = signal<PageView>(readLocation());

addEventListener('popstate', () => {
  currentView.value = readLocation();
});

/** Shows `view` and records it in the history (back/forward return to it), or replaces the entry. */
export function navigate(view: PageView, { replace = false } = {}): void {
  const url = `${location.pathname}${viewSearch(view)}`;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  currentView.value = view;
}

/** An absolute URL of a view, for permalinks and copying. */
export function viewUrl(view: PageView): string {
  return `${location.origin}${location.pathname}${viewSearch(view)}`;
}
