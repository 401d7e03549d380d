import type { ComponentChildren } from 'preact';
import { navigate } from '../state/router.js';
import { viewSearch } from '../state/journal-query.js';
import type { PageView } from '../state/journal-query.js';

/**
 * A link to a page view: a real `href` (open in a new tab, copy link) that navigates in place on a
 * plain click.
 */
export function AppLink(props: {
  readonly view: PageView;
  readonly class?: string;
  readonly children: ComponentChildren;
  readonly title?: string;
  readonly 'aria-label'?: string;
}) {
  const { view, children, ...rest } = props;
  return (
    <a
      {...rest}
      href={viewSearch(view)}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(view);
        scrollTo({ top: 0 });
      }}
    >
      {children}
    </a>
  );
}
