import { SubscribeRequestSchema, UnsubscribeRequestSchema } from '@modelcontextprotocol/core';
import type { Server } from '@modelcontextprotocol/server';
import { handleRequest } from './requests.js';
import type { Board } from '../core/types.js';
import type { ChangeSet } from '../domain/types.js';
import type { Logger } from '../logger.js';
import { invalidParams, resourceNotFound } from './errors.js';
import {
  UNKNOWN_URI_HINT,
  agentUris,
  canonicalUri,
  hierarchyUri,
  parseResourceUri,
  queueUris,
  taskUris,
} from './uris.js';

/** Subscriptions one session may hold; past it subscribe fails with InvalidParams (memory stays bounded). */
export const MAX_SUBSCRIPTIONS_PER_SESSION = 1000;
/** Changed tasks whose ancestors are looked up for task://hierarchy/{id} subscribers, per change. */
const HIERARCHY_TASKS_PER_CHANGE = 50;
const HIERARCHY_MAX_DEPTH = 32;

/** The canonical URIs a change touches, without hierarchy ancestors. */
export function urisForChange(changes: ChangeSet): Set<string> {
  const uris = new Set<string>();
  for (const id of changes.tasks) {
    for (const uri of taskUris(id)) uris.add(uri);
    uris.add(hierarchyUri(id));
  }
  for (const agent of changes.agents) for (const uri of agentUris(agent)) uris.add(uri);
  for (const queue of changes.queues) for (const uri of queueUris(queue)) uris.add(uri);
  if (changes.queues.length > 0 || changes.tasks.length > 0) uris.add('queue://list');
  if (changes.tasks.length > 0) {
    uris.add('tasks://active');
    uris.add('tasks://archived');
    uris.add('tasks://ready');
  }
  return uris;
}

interface Subscriber {
  readonly wantsHierarchy: boolean;
  deliver(uris: ReadonlySet<string>): void;
}

/**
 * One board listener per board, shared by every session: a change is mapped to URIs once and offered to each
 * subscribed session. The listener is attached while at least one session has a subscription.
 */
class ChangeHub {
  private readonly subscribers = new Set<Subscriber>();
  private readonly onChange = (changes: ChangeSet) => this.dispatch(changes);

  constructor(
    private readonly board: Board,
    private readonly logger: Logger,
  ) {}

  add(subscriber: Subscriber): void {
    if (this.subscribers.size === 0) this.board.on('change', this.onChange);
    this.subscribers.add(subscriber);
  }

  remove(subscriber: Subscriber): void {
    if (!this.subscribers.delete(subscriber)) return;
    if (this.subscribers.size === 0) this.board.off('change', this.onChange);
  }

  private dispatch(changes: ChangeSet): void {
    const uris = urisForChange(changes);
    for (const s of this.subscribers) s.deliver(uris);
    if (changes.tasks.length > 0 && [...this.subscribers].some((s) => s.wantsHierarchy)) {
      this.ancestorUris(changes.tasks.slice(0, HIERARCHY_TASKS_PER_CHANGE))
        .then((more) => {
          if (more.size > 0) for (const s of this.subscribers) if (s.wantsHierarchy) s.deliver(more);
        })
        .catch((err: unknown) => this.logger.debug({ err }, 'hierarchy lookup for subscriptions failed'));
    }
  }

  /** task://hierarchy/{id} of every ancestor of the changed tasks (a deleted task has no readable ancestry). */
  private async ancestorUris(taskIds: number[]): Promise<Set<string>> {
    const uris = new Set<string>();
    const seen = new Set<number>(taskIds);
    await Promise.all(
      taskIds.map(async (id) => {
        let parent: number | null = await this.parentOf(id);
        for (let depth = 0; parent !== null && depth < HIERARCHY_MAX_DEPTH; depth++) {
          uris.add(hierarchyUri(parent));
          if (seen.has(parent)) break;
          seen.add(parent);
          parent = await this.parentOf(parent);
        }
      }),
    );
    return uris;
  }

  private async parentOf(id: number): Promise<number | null> {
    try {
      return (await this.board.getTask({ id })).parent_task_id;
    } catch {
      return null;
    }
  }
}

const hubs = new WeakMap<Board, ChangeHub>();

function hubFor(board: Board, logger: Logger): ChangeHub {
  let hub = hubs.get(board);
  if (!hub) {
    hub = new ChangeHub(board, logger);
    hubs.set(board, hub);
  }
  return hub;
}

/**
 * Every resource change as the URIs it touches (task://hierarchy ancestors included), coalesced per turn of the
 * event loop: the feed of 2026-07-28 `subscriptions/listen`, whose router filters by each stream's own URIs. Returns
 * the function that stops the feed.
 */
export function onResourceChanges(
  board: Board,
  logger: Logger,
  deliver: (uris: ReadonlySet<string>) => void,
): () => void {
  const hub = hubFor(board, logger);
  let pending = new Set<string>();
  let scheduled = false;
  let stopped = false;
  const flush = () => {
    scheduled = false;
    const uris = pending;
    pending = new Set();
    if (!stopped && uris.size > 0) deliver(uris);
  };
  const subscriber: Subscriber = {
    wantsHierarchy: true,
    deliver(uris) {
      for (const uri of uris) pending.add(uri);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
  };
  hub.add(subscriber);
  return () => {
    stopped = true;
    hub.remove(subscriber);
  };
}

/** What `registerSubscriptions` gives its server's owner. */
export interface SessionSubscriptions {
  /** The URIs subscribed to, each as the client spelled it (to subscribe a rebuilt server again). */
  uris(): string[];
  /** Stops every subscription; run when the server closes. */
  cleanup(): void;
}

/** resources/subscribe and resources/unsubscribe for one server. */
export function registerSubscriptions(server: Server, board: Board, logger: Logger): SessionSubscriptions {
  const hub = hubFor(board, logger);
  // canonical URI → the URIs the client subscribed with (it is notified with its own spelling)
  const subscribed = new Map<string, Set<string>>();
  let hierarchyCount = 0;
  let pending = new Set<string>();
  let flushScheduled = false;
  let closed = false;

  const flush = () => {
    flushScheduled = false;
    const uris = pending;
    pending = new Set();
    if (closed) return;
    for (const uri of uris) server.sendResourceUpdated({ uri }).catch(() => undefined);
  };

  const subscriber: Subscriber = {
    get wantsHierarchy() {
      return hierarchyCount > 0;
    },
    deliver(uris) {
      // Walk the smaller side: a big change (clear_queue) meets few subscriptions, and the other way round.
      if (subscribed.size < uris.size) {
        for (const [canonical, originals] of subscribed)
          if (uris.has(canonical)) for (const o of originals) pending.add(o);
      } else {
        for (const uri of uris) {
          const originals = subscribed.get(uri);
          if (originals) for (const o of originals) pending.add(o);
        }
      }
      // Coalesce: a group-commit batch touching a resource many times gives one notification per URI.
      if (pending.size > 0 && !flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    },
  };

  handleRequest(server, SubscribeRequestSchema, async (request) => {
    const uri = request.params.uri;
    const ref = parseResourceUri(uri);
    if (!ref) throw resourceNotFound(uri, UNKNOWN_URI_HINT);
    const canonical = canonicalUri(ref);
    let originals = subscribed.get(canonical);
    if (!originals) {
      if (subscribed.size >= MAX_SUBSCRIPTIONS_PER_SESSION) {
        throw invalidParams(
          `Too many subscriptions: a session may hold ${MAX_SUBSCRIPTIONS_PER_SESSION}. Unsubscribe from some first.`,
        );
      }
      originals = new Set();
      subscribed.set(canonical, originals);
      if (ref.kind === 'task_hierarchy') hierarchyCount++;
      if (subscribed.size === 1 && !closed) hub.add(subscriber);
    }
    originals.add(uri);
    return {};
  });

  handleRequest(server, UnsubscribeRequestSchema, async (request) => {
    const uri = request.params.uri;
    const ref = parseResourceUri(uri);
    if (!ref) throw resourceNotFound(uri, UNKNOWN_URI_HINT);
    const canonical = canonicalUri(ref);
    const originals = subscribed.get(canonical);
    if (originals) {
      subscribed.delete(canonical);
      if (ref.kind === 'task_hierarchy') hierarchyCount--;
      if (subscribed.size === 0) hub.remove(subscriber);
    }
    return {};
  });

  return {
    uris() {
      const out: string[] = [];
      for (const originals of subscribed.values()) for (const uri of originals) out.push(uri);
      return out;
    },
    cleanup() {
      closed = true;
      subscribed.clear();
      hierarchyCount = 0;
      hub.remove(subscriber);
    },
  };
}
