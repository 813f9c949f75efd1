// The signed-in pages besides the rings: which one an address (`#rollouts`, `#rollout=<id>`, `#lookup`)
// shows, the navigation between them, and the views themselves. main.ts shows the rings for any other address.
import type { Api } from './api.ts';
import { h } from './dom.ts';
import { PolicyLookupView } from './policy-lookup.ts';
import { RolloutsView } from './rollouts.ts';
import type { Access } from './wire.ts';

export type PageName = 'rings' | 'rollouts' | 'lookup';

export interface Place {
  page: PageName;
  /** `#rollout=<id>`: the rollout to bring on screen. */
  rollout?: string;
}

export function placeInAddress(hash: string): Place {
  const rollout = /^#rollout=([0-9a-z-]{1,64})$/i.exec(hash)?.[1];
  if (rollout) return { page: 'rollouts', rollout };
  if (hash === '#rollouts') return { page: 'rollouts' };
  if (hash === '#lookup') return { page: 'lookup' };
  return { page: 'rings' };
}

const LINKS: [PageName, string, string][] = [
  ['rings', '#rings', 'Rings'],
  ['rollouts', '#rollouts', 'Rollouts'],
  ['lookup', '#lookup', 'Policy lookup'],
];

/** The links between the pages, the current one marked for screen readers and styles. */
export function pageNav(current: PageName): HTMLElement {
  return h(
    'nav',
    { class: 'page-nav', 'aria-label': 'Sections' },
    LINKS.map(([name, href, label]) =>
      h('a', { href, ...(name === current ? { 'aria-current': 'page' } : {}) }, label),
    ),
  );
}

export interface PageView {
  readonly root: HTMLElement;
  load(): Promise<boolean>;
  dispose(): void;
  focusHeading(): void;
}

/** The view for a page other than the rings, or null for the rings. */
export function otherPage(
  place: Place,
  api: Api,
  onSignedOut: (reason: string) => void,
  access?: Access,
): PageView | null {
  if (place.page === 'rollouts') {
    const view = new RolloutsView(api, onSignedOut, access ?? null);
    const id = place.rollout;
    return {
      root: view.root,
      dispose: () => view.dispose(),
      focusHeading: () => (id ? view.showRollout(id) : view.focusHeading()),
      load: () => view.load(),
    };
  }
  if (place.page === 'lookup') return new PolicyLookupView(api, onSignedOut);
  return null;
}
