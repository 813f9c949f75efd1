// "Someone else changed this ring": what the edit and delete dialogs show on a 412 (code 2007, docs/contract.md
// §8.1) instead of overwriting. Who and when come from the ring's newest revision (§8.3). Reload is the
// user's choice: until it is pressed, whatever they typed stays in the form.
import { type Api, describeFailure, type Failure, isStale } from './api.ts';
import { h } from './dom.ts';
import { exactTime, parseTimestamp, relativeTime } from './format.ts';
import { actionLabel, actorName, interfaceLabel } from './history-text.ts';

/** The notice; `onReload` discards the local edit and shows the ring as it is now. */
export async function staleNotice(
  api: Api,
  groupId: string,
  intro: string,
  onReload: () => void,
): Promise<HTMLElement> {
  const history = await api.groupHistory(groupId, 1, 1);
  const newest = history.ok ? history.result[0] : undefined;
  const who = newest
    ? h(
        'p',
        { class: 'stale-who' },
        `${actionLabel(newest.action)} by `,
        h('strong', {}, actorName(newest.actor)),
        ` through ${interfaceLabel(newest.actor.interface)}, `,
        h(
          'time',
          { datetime: newest.at, title: exactTime(newest.at) },
          relativeTime(parseTimestamp(newest.at)),
        ),
        ` (revision ${newest.revision}).`,
      )
    : h('p', { class: 'stale-who' }, 'Who changed it could not be read.');
  return h(
    'div',
    { class: 'stale' },
    h('p', {}, h('strong', {}, 'Someone else changed this ring after you opened it. '), intro),
    who,
    h(
      'p',
      { class: 'stale-actions' },
      h('button', { type: 'button', class: 'button', onclick: () => onReload() }, 'Reload'),
      h('span', {}, 'shows the ring as it is now and discards your changes.'),
    ),
  );
}

/** The words a confirmation dialog uses for a change that was refused. */
export interface RefusalWords {
  /** After "Someone else changed this ring…": "It was not deleted." */
  stale: string;
  /** Before any other failure's sentence: "Not deleted". */
  other: string;
}

/**
 * Shows why a confirmed change was refused in the dialog's error slot: for a lost race (412) the notice
 * with Reload, which then has the focus; else the failure in a sentence. True for a lost race.
 */
export async function showRefusal(
  api: Api,
  groupId: string,
  failure: Failure,
  slot: HTMLElement,
  words: RefusalWords,
  onReload: () => void,
): Promise<boolean> {
  slot.hidden = false;
  if (!isStale(failure)) {
    slot.textContent = `${words.other}: ${describeFailure(failure)}`;
    return false;
  }
  const notice = await staleNotice(api, groupId, words.stale, onReload);
  slot.replaceChildren(notice);
  notice.querySelector('button')?.focus();
  return true;
}
