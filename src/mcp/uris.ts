import { ID_DIGITS } from '../domain/schemas.js';

/**
 * TinyTask's resource URIs: parsing (with percent-decoding of agent and queue names), canonical forms (so that a
 * subscription and a change notification compare equal however the client encoded a name), and the templates.
 */

export type ResourceRef =
  | { kind: 'task'; id: string }
  | { kind: 'task_comments'; id: string }
  | { kind: 'task_links'; id: string }
  | { kind: 'task_hierarchy'; id: string }
  | { kind: 'queue_list' }
  | { kind: 'queue_stats'; queue: string }
  | { kind: 'queue_tasks'; queue: string }
  | { kind: 'agent_summary'; agent: string }
  | { kind: 'agent_queue'; agent: string }
  | { kind: 'agent_ready'; agent: string }
  | { kind: 'tasks_active' }
  | { kind: 'tasks_archived' }
  | { kind: 'tasks_ready' };

export interface TemplateInfo {
  uriTemplate: string;
  name: string;
  title: string;
  description: string;
  /** Template variable → what it completes to. */
  variables: Record<string, 'task' | 'agent' | 'queue'>;
}

export const RESOURCE_TEMPLATES: readonly TemplateInfo[] = [
  {
    uriTemplate: 'task://{id}',
    name: 'task',
    title: 'Task',
    description: 'A task with its comments, links and blocked state (as get_task).',
    variables: { id: 'task' },
  },
  {
    uriTemplate: 'task://{id}/comments',
    name: 'task_comments',
    title: 'Task comments',
    description: 'The comments of a task, oldest first: { task_id, count, comments }.',
    variables: { id: 'task' },
  },
  {
    uriTemplate: 'task://{id}/links',
    name: 'task_links',
    title: 'Task links',
    description: 'The links of a task: { task_id, count, links }.',
    variables: { id: 'task' },
  },
  {
    uriTemplate: 'task://hierarchy/{id}',
    name: 'task_hierarchy',
    title: 'Task hierarchy',
    description: 'A task with every level of its unarchived subtasks nested under it.',
    variables: { id: 'task' },
  },
  {
    uriTemplate: 'queue://{agent_name}',
    name: 'agent_queue',
    title: 'Agent queue',
    description: 'The open tasks assigned to an agent, highest priority first: { agent, count, tasks }.',
    variables: { agent_name: 'agent' },
  },
  {
    uriTemplate: 'queue://{agent_name}/summary',
    name: 'agent_queue_summary',
    title: 'Agent queue summary',
    description: 'Counts of an agent’s open, idle, working and blocked tasks and its highest priority.',
    variables: { agent_name: 'agent' },
  },
  {
    uriTemplate: 'queue://{agent_name}/ready',
    name: 'agent_ready',
    title: 'Agent ready tasks',
    description:
      'The agent’s ready tasks (idle, not archived or dead-lettered, every blocker complete), best first (first 1000): { agent, count, tasks }.',
    variables: { agent_name: 'agent' },
  },
  {
    uriTemplate: 'queue://stats/{queue_name}',
    name: 'queue_stats',
    title: 'Queue statistics',
    description: 'Tasks of a team queue by status and by assignee (as get_queue_stats).',
    variables: { queue_name: 'queue' },
  },
  {
    uriTemplate: 'queue://tasks/{queue_name}',
    name: 'queue_tasks',
    title: 'Queue tasks',
    description: 'The unarchived tasks of a team queue (first 1000): { queue_name, count, total, tasks }.',
    variables: { queue_name: 'queue' },
  },
];

export interface FixedResourceInfo {
  uri: string;
  name: string;
  title: string;
  description: string;
}

export const FIXED_RESOURCES: readonly FixedResourceInfo[] = [
  {
    uri: 'queue://list',
    name: 'queue_list',
    title: 'Queues',
    description: 'Every queue with its task counts: { count, queues }.',
  },
  {
    uri: 'tasks://active',
    name: 'active_tasks',
    title: 'Active tasks',
    description:
      'Unarchived tasks (first 1000, highest priority first, then oldest): { count, total, tasks }.',
  },
  {
    uri: 'tasks://archived',
    name: 'archived_tasks',
    title: 'Archived tasks',
    description: 'Archived tasks (first 1000): { count, tasks }.',
  },
  {
    uri: 'tasks://ready',
    name: 'ready_tasks',
    title: 'Ready tasks',
    description:
      'Tasks that can be started now — idle, not archived or dead-lettered, every blocker complete — best first (first 1000): { count, tasks }.',
  },
];

export const UNKNOWN_URI_HINT =
  'Known resources: task://{id}, task://{id}/comments, task://{id}/links, task://hierarchy/{id}, ' +
  'queue://{agent_name}, queue://{agent_name}/summary, queue://{agent_name}/ready, queue://list, ' +
  'queue://stats/{queue_name}, queue://tasks/{queue_name}, tasks://active, tasks://archived, tasks://ready.';

function decode(part: string): string | undefined {
  if (part.length === 0) return undefined;
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/** Task URIs carry ids under the same rule as id arguments (canonical digits). */
const TASK_URI = {
  hierarchy: new RegExp(`^task://hierarchy/(${ID_DIGITS})$`),
  comments: new RegExp(`^task://(${ID_DIGITS})/comments$`),
  links: new RegExp(`^task://(${ID_DIGITS})/links$`),
  task: new RegExp(`^task://(${ID_DIGITS})$`),
};

/** Parses a TinyTask resource URI; undefined when it matches no template. */
export function parseResourceUri(uri: string): ResourceRef | undefined {
  let m: RegExpExecArray | null;
  if (uri === 'queue://list') return { kind: 'queue_list' };
  if (uri === 'tasks://active') return { kind: 'tasks_active' };
  if (uri === 'tasks://archived') return { kind: 'tasks_archived' };
  if (uri === 'tasks://ready') return { kind: 'tasks_ready' };
  if ((m = TASK_URI.hierarchy.exec(uri))) return { kind: 'task_hierarchy', id: m[1]! };
  if ((m = TASK_URI.comments.exec(uri))) return { kind: 'task_comments', id: m[1]! };
  if ((m = TASK_URI.links.exec(uri))) return { kind: 'task_links', id: m[1]! };
  if ((m = TASK_URI.task.exec(uri))) return { kind: 'task', id: m[1]! };
  if ((m = /^queue:\/\/stats\/([^/]+)$/.exec(uri))) {
    const queue = decode(m[1]!);
    return queue === undefined ? undefined : { kind: 'queue_stats', queue };
  }
  if ((m = /^queue:\/\/tasks\/([^/]+)$/.exec(uri))) {
    const queue = decode(m[1]!);
    return queue === undefined ? undefined : { kind: 'queue_tasks', queue };
  }
  if ((m = /^queue:\/\/([^/]+)\/summary$/.exec(uri))) {
    const agent = decode(m[1]!);
    return agent === undefined ? undefined : { kind: 'agent_summary', agent };
  }
  if ((m = /^queue:\/\/([^/]+)\/ready$/.exec(uri))) {
    const agent = decode(m[1]!);
    return agent === undefined ? undefined : { kind: 'agent_ready', agent };
  }
  if ((m = /^queue:\/\/([^/]+)$/.exec(uri))) {
    const agent = decode(m[1]!);
    return agent === undefined ? undefined : { kind: 'agent_queue', agent };
  }
  return undefined;
}

const enc = encodeURIComponent;

/** The canonical URI of a reference: names percent-encoded, ids as given. */
export function canonicalUri(ref: ResourceRef): string {
  switch (ref.kind) {
    case 'task':
      return `task://${ref.id}`;
    case 'task_comments':
      return `task://${ref.id}/comments`;
    case 'task_links':
      return `task://${ref.id}/links`;
    case 'task_hierarchy':
      return `task://hierarchy/${ref.id}`;
    case 'queue_list':
      return 'queue://list';
    case 'queue_stats':
      return `queue://stats/${enc(ref.queue)}`;
    case 'queue_tasks':
      return `queue://tasks/${enc(ref.queue)}`;
    case 'agent_summary':
      return `queue://${enc(ref.agent)}/summary`;
    case 'agent_queue':
      return `queue://${enc(ref.agent)}`;
    case 'tasks_active':
      return 'tasks://active';
    case 'agent_ready':
      return `queue://${enc(ref.agent)}/ready`;
    case 'tasks_archived':
      return 'tasks://archived';
    case 'tasks_ready':
      return 'tasks://ready';
  }
}

export const taskUris = (id: number) => [`task://${id}`, `task://${id}/comments`, `task://${id}/links`];
export const hierarchyUri = (id: number) => `task://hierarchy/${id}`;
export const agentUris = (agent: string) => [
  `queue://${enc(agent)}`,
  `queue://${enc(agent)}/summary`,
  `queue://${enc(agent)}/ready`,
];
export const queueUris = (queue: string) => [`queue://stats/${enc(queue)}`, `queue://tasks/${enc(queue)}`];
