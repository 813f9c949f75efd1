// The bound on another process's commits (src/store/other-commits.ts): with a change marker, a commit is
// acted on within OTHERS_SEEN_WITHIN_MS and the marker is read at most once per that bound; without one,
// every look past the bound counts as a commit. Time is a clock the test moves.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OTHERS_SEEN_WITHIN_MS, OtherCommits } from '../src/store/other-commits.ts';

function watched(marker: boolean) {
  const state = { now: 1000, version: 1, reads: 0, commits: 0 };
  const others = new OtherCommits(
    marker
      ? () => {
          state.reads++;
          return state.version;
        }
      : null,
    () => state.now,
  );
  others.onCommit(() => state.commits++);
  return { others, state };
}

test('another connection’s commit is seen within OTHERS_SEEN_WITHIN_MS, not later', () => {
  const { others, state } = watched(true);
  others.look();
  assert.equal(state.commits, 0, 'the marker as it was when the store opened is no commit');
  state.version++;
  state.now += OTHERS_SEEN_WITHIN_MS - 1;
  others.look();
  assert.equal(state.commits, 0, 'within the bound the marker is not read');
  state.now += 1;
  others.look();
  assert.equal(state.commits, 1, 'at the bound the commit is seen');
  state.now += OTHERS_SEEN_WITHIN_MS;
  others.look();
  assert.equal(state.commits, 1, 'and seen once');
});

test('reads the change marker at most once per OTHERS_SEEN_WITHIN_MS', () => {
  const { others, state } = watched(true);
  const atOpen = state.reads;
  for (let i = 0; i < 50; i++) others.look();
  assert.equal(state.reads - atOpen, 1);
  state.now += OTHERS_SEEN_WITHIN_MS;
  others.look();
  assert.equal(state.reads - atOpen, 2);
  assert.equal(state.commits, 0);
});

test('without a change marker (PostgreSQL), every look past the bound counts as a commit', () => {
  const { others, state } = watched(false);
  others.look();
  assert.equal(state.commits, 1);
  state.now += OTHERS_SEEN_WITHIN_MS - 1;
  others.look();
  assert.equal(state.commits, 1);
  state.now += 1;
  others.look();
  assert.equal(state.commits, 2);
});
