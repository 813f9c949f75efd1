// Test mode (docs/contract.md §8.6), switched on only where the app is built — `ringmaster serve
// --test-mode` or startRingmaster() — and never by a request. It hooks the journal and the fault rules
// into every API request; the control routes that read and change them are in routes.ts.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Store } from '../store/store.ts';
import { delay, effectOf, FaultRules } from './faults.ts';
import { errorCodesOf, isApiRequest, RequestJournal } from './journal.ts';
import { TestState } from './state.ts';

export interface TestModeOptions {
  /** Rolls fault probabilities (Math.random by default); tests pass a deterministic one. */
  random?: () => number;
}

/** One app's test-mode state: nothing of it is shared with another app in the same process. */
export class TestMode {
  readonly journal = new RequestJournal();
  readonly faults: FaultRules;
  /** Fires when the app closes, cutting injected delays short. */
  private readonly closing = new AbortController();

  constructor(options: TestModeOptions = {}) {
    this.faults = new FaultRules(options.random);
  }

  /** The store's state (reset, seed) for `store`, made once the app has its store. */
  state(store: Store): TestState {
    return new TestState(store);
  }

  /**
   * Adds the hooks, to run right after the ray id is set and before draining and authentication: a fault
   * stands for Cloudflare's edge failing, which happens whoever asks.
   */
  register(app: FastifyInstance): void {
    const codes = new WeakMap<FastifyRequest, number[]>();
    const faults = new WeakMap<FastifyRequest, string>();
    app.addHook('onRequest', async (request, reply) => {
      if (!isApiRequest(request.url)) return;
      const rule = this.faults.take(request.method, request.url.split('?', 1)[0] as string);
      if (rule === undefined) return;
      faults.set(request, rule.id);
      const effect = effectOf(rule, request.id);
      if (effect.kind === 'error') throw effect.error;
      if (effect.kind === 'delay') return delay(effect.ms, this.closing.signal);
      this.journal.record(request, null, [], rule.id);
      reply.hijack();
      request.raw.socket.destroy();
    });
    app.addHook('onSend', async (request, reply, payload) => {
      if (isApiRequest(request.url)) codes.set(request, errorCodesOf(reply, payload));
      return payload;
    });
    app.addHook('onResponse', async (request, reply) => {
      if (!isApiRequest(request.url)) return;
      this.journal.record(request, reply.statusCode, codes.get(request) ?? [], faults.get(request) ?? null);
    });
    app.addHook('onClose', async () => this.closing.abort());
  }
}
