import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/domain/errors.js';
import { HTTP_STATUS } from '../src/transport/http/rest/status.js';
import { allTools } from '../src/tools/index.js';
import { REST_ROUTES } from '../src/transport/http/rest/routes.js';
import { raw, startTestServer, type TestServer, toolJson } from './http-harness.js';
import { type ApiRequest, OpenApiChecker } from './rest-support.js';

/**
 * The REST API against its own OpenAPI document: every route is called, every status the document lists for it is
 * produced, and every answer (successes and errors) is validated with ajv against the documented schema.
 */

const ADMIN = 'admin-token';
const ALICE = 'alice-token';
const BOB = 'bob-token';
const OPS = 'ops-token';
const MISSING = 999_999;

interface Fixture {
  task: number;
  other: number;
  comment: number;
  link: number;
  queue: string;
  /** The deepest task of a chain too deep for a tree read. */
  deep: number;
  /** A complete task. */
  done: number;
  /** Claims `task` for alice (claim_next_task) and answers the lease id. */
  lease(): Promise<string>;
  /** A lease of `task` that is no longer current (claimed, then released). */
  staleLease(): Promise<string>;
}

type Build = (f: Fixture) => ApiRequest | Promise<ApiRequest>;

interface Case {
  ok: Build;
  /** A request answered 404; default: `ok` with every id naming nothing. */
  missing?: Build;
  /** A request answered 409 (default, for writes: an idempotency key reused with other arguments). */
  conflict?: Build;
  /** The same route with other arguments; default: `ok` on a new fixture. */
  vary?: Build;
}

const v1 = '/api/v1';

/** A valid request for every operation of the REST API, keyed by operationId. */
const CASES: Record<string, Case> = {
  list_tasks: {
    ok: () => ({ path: `${v1}/tasks?status=idle&status=working&include_archived=false&limit=10` }),
  },
  create_task: {
    ok: () => ({
      method: 'POST',
      path: `${v1}/tasks`,
      body: { title: 'New', created_by: 'alice', tags: ['a'] },
    }),
    missing: () => ({
      method: 'POST',
      path: `${v1}/tasks`,
      body: { title: 'Orphan', created_by: 'alice', parent_task_id: MISSING },
    }),
    vary: () => ({ method: 'POST', path: `${v1}/tasks`, body: { title: 'Other', created_by: 'alice' } }),
  },
  get_task: { ok: (f) => ({ path: `${v1}/tasks/${f.task}` }) },
  update_task: {
    ok: (f) => ({ method: 'PATCH', path: `${v1}/tasks/${f.task}`, body: { priority: 5, status: 'working' } }),
    conflict: (f) => ({
      method: 'PATCH',
      path: `${v1}/tasks/${f.task}`,
      body: { blocked_by_task_id: f.task },
    }),
  },
  delete_task: { ok: (f) => ({ method: 'DELETE', path: `${v1}/tasks/${f.task}` }) },
  archive_task: { ok: (f) => ({ method: 'POST', path: `${v1}/tasks/${f.task}/archive` }) },
  move_task: {
    ok: (f) => ({
      method: 'POST',
      path: `${v1}/tasks/${f.task}/handoff`,
      body: { current_agent: 'alice', new_agent: 'bob', comment: 'Over to you' },
    }),
    conflict: (f) => ({
      method: 'POST',
      path: `${v1}/tasks/${f.task}/handoff`,
      body: { current_agent: 'carol', new_agent: 'bob', comment: 'Not mine to give' },
    }),
  },
  get_task_history: { ok: (f) => ({ path: `${v1}/tasks/${f.task}/history` }) },
  get_task_with_subtasks: {
    ok: (f) => ({ path: `${v1}/tasks/${f.task}/tree?recursive=true` }),
    conflict: (f) => ({ path: `${v1}/tasks/${f.deep}/tree?recursive=true` }),
  },
  get_subtasks: { ok: (f) => ({ path: `${v1}/tasks/${f.task}/subtasks?recursive=1` }) },
  create_subtask: {
    ok: (f) => ({
      method: 'POST',
      path: `${v1}/tasks/${f.task}/subtasks`,
      body: { title: 'Part', created_by: 'alice' },
    }),
  },
  move_subtask: {
    ok: (f) => ({ method: 'PUT', path: `${v1}/tasks/${f.other}/parent`, body: { new_parent_id: f.task } }),
    conflict: (f) => ({
      method: 'PUT',
      path: `${v1}/tasks/${f.task}/parent`,
      body: { new_parent_id: f.task },
    }),
  },
  add_task_to_queue: {
    ok: (f) => ({ method: 'PUT', path: `${v1}/tasks/${f.task}/queue`, body: { queue_name: 'qa' } }),
  },
  remove_task_from_queue: { ok: (f) => ({ method: 'DELETE', path: `${v1}/tasks/${f.task}/queue` }) },
  list_comments: { ok: (f) => ({ path: `${v1}/tasks/${f.task}/comments` }) },
  add_comment: {
    ok: (f) => ({ method: 'POST', path: `${v1}/tasks/${f.task}/comments`, body: { content: 'A note' } }),
  },
  get_comment: { ok: (f) => ({ path: `${v1}/comments/${f.comment}` }) },
  update_comment: {
    ok: (f) => ({ method: 'PATCH', path: `${v1}/comments/${f.comment}`, body: { content: 'Fixed' } }),
  },
  delete_comment: { ok: (f) => ({ method: 'DELETE', path: `${v1}/comments/${f.comment}` }) },
  move_comment: {
    ok: (f) => ({ method: 'POST', path: `${v1}/comments/${f.comment}/move`, body: { to_task_id: f.other } }),
  },
  list_links: { ok: (f) => ({ path: `${v1}/tasks/${f.task}/links` }) },
  add_link: {
    ok: (f) => ({
      method: 'POST',
      path: `${v1}/tasks/${f.task}/links`,
      body: { url: 'https://example.com/pr/1', description: 'PR' },
    }),
  },
  update_link: {
    ok: (f) => ({ method: 'PATCH', path: `${v1}/links/${f.link}`, body: { description: 'Merged PR' } }),
  },
  delete_link: { ok: (f) => ({ method: 'DELETE', path: `${v1}/links/${f.link}` }) },
  list_queues: { ok: () => ({ path: `${v1}/queues` }) },
  get_queue_stats: { ok: (f) => ({ path: `${v1}/queues/${f.queue}` }) },
  get_queue_tasks: { ok: (f) => ({ path: `${v1}/queues/${f.queue}/tasks?status=idle,working` }) },
  clear_queue: { ok: (f) => ({ method: 'DELETE', path: `${v1}/queues/${f.queue}/tasks` }) },
  get_my_queue: { ok: () => ({ path: `${v1}/agents/alice/queue?include_description=true` }) },
  signup_for_task: {
    ok: () => ({ method: 'POST', path: `${v1}/agents/alice/signup` }),
    vary: () => ({ method: 'POST', path: `${v1}/agents/bob/signup` }),
  },
  board_stats: { ok: () => ({ path: `${v1}/stats` }) },
  // Coordination: pull claims, leases and the ready list.
  claim_next_task: {
    ok: (f) => ({ method: 'POST', path: `${v1}/agents/alice/claim`, body: { task_id: f.task } }),
    conflict: (f) => ({ method: 'POST', path: `${v1}/agents/alice/claim`, body: { task_id: f.done } }),
  },
  heartbeat_task: {
    ok: async (f) => ({
      method: 'POST',
      path: `${v1}/tasks/${f.task}/heartbeat`,
      body: { agent_name: 'alice', lease_id: await f.lease() },
    }),
    conflict: async (f) => ({
      method: 'POST',
      path: `${v1}/tasks/${f.task}/heartbeat`,
      body: { agent_name: 'alice', lease_id: await f.staleLease() },
    }),
  },
  release_task: {
    ok: async (f) => ({
      method: 'POST',
      path: `${v1}/tasks/${f.task}/release`,
      body: { agent_name: 'alice', lease_id: await f.lease(), reason: 'Blocked on review' },
    }),
    conflict: async (f) => ({
      method: 'POST',
      path: `${v1}/tasks/${f.task}/release`,
      body: { agent_name: 'alice', lease_id: await f.staleLease() },
    }),
  },
  requeue_task: {
    ok: (f) => ({ method: 'POST', path: `${v1}/tasks/${f.task}/requeue`, body: { reset_attempts: true } }),
    conflict: (f) => ({ method: 'POST', path: `${v1}/tasks/${f.done}/requeue` }),
  },
  list_ready_tasks: { ok: (f) => ({ path: `${v1}/ready?queue_name=${f.queue}&agent_name=alice` }) },
  search_tasks: { ok: () => ({ path: `${v1}/search?query=Fixture&status=idle,working` }) },
};

const SUCCESS = new Set(['200', '201']);

describe('REST API against its OpenAPI document', () => {
  let server: TestServer;
  let noHistory: TestServer;
  let checker: OpenApiChecker;
  let dir: string;
  let serial = 0;
  let deep = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tinytask-rest-'));
    const tokensFile = join(dir, 'tokens.json');
    writeFileSync(
      tokensFile,
      JSON.stringify({ [ALICE]: 'alice', [BOB]: 'bob', [OPS]: { agent: 'ops', role: 'operator' } }),
    );
    const auth = { authToken: ADMIN, authTokensFile: tokensFile, maxBodyBytes: 1024 };
    server = await startTestServer({ ...auth, enableHistory: true });
    noHistory = await startTestServer({ ...auth, enableHistory: false });
    const res = await fetch(`${server.url}${v1}/openapi.json`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(res.status).toBe(200);
    checker = new OpenApiChecker((await res.json()) as Record<string, unknown>, server.url);
    // A chain of 102 tasks: a recursive tree read from its top is refused (more than 100 levels).
    let parent: number | undefined;
    for (let i = 0; i < 102; i++) {
      const t = await server.board.createTask({
        title: `level ${i}`,
        created_by: 'alice',
        parent_task_id: parent,
      });
      deep ||= t.id;
      parent = t.id;
    }
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await noHistory?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function fixture(): Promise<Fixture> {
    const b = server.board;
    const queue = `dev-${++serial}`;
    const task = await b.createTask({
      title: 'Fixture',
      created_by: 'alice',
      assigned_to: 'alice',
      queue_name: queue,
    });
    const other = await b.createTask({
      title: 'Other',
      created_by: 'bob',
      assigned_to: 'bob',
      queue_name: queue,
    });
    const comment = await b.addComment({ task_id: task.id, content: 'First', created_by: 'alice' });
    const link = await b.addLink({ task_id: task.id, url: 'https://example.com', created_by: 'alice' });
    // One claim per fixture: later calls answer the same lease while it is current.
    let current: string | undefined;
    const lease = async () => {
      if (current) return current;
      const claimed = await checker.call({
        method: 'POST',
        path: `${v1}/agents/alice/claim`,
        token: ADMIN,
        body: { task_id: task.id },
      });
      const body = claimed.body as { lease_id?: string; task?: { lease_id?: string } };
      current = body.lease_id ?? body.task?.lease_id;
      if (!current) throw new Error(`claim gave no lease: ${JSON.stringify(body)}`);
      return current;
    };
    const staleLease = async () => {
      const id = await lease();
      const released = await checker.call({
        method: 'POST',
        path: `${v1}/tasks/${task.id}/release`,
        token: ADMIN,
        body: { agent_name: 'alice', lease_id: id },
      });
      expect(released.status).toBe(200);
      current = undefined;
      return id;
    };
    const done = await b.createTask({ title: 'Done', created_by: 'alice', assigned_to: 'alice' });
    await b.updateTask({ id: done.id, status: 'complete' });
    return {
      task: task.id,
      other: other.id,
      comment: comment.id,
      link: link.id,
      queue,
      deep,
      done: done.id,
      lease,
      staleLease,
    };
  }

  const missingFixture = (): Fixture => ({
    task: MISSING,
    other: MISSING,
    comment: MISSING,
    link: MISSING,
    queue: 'none',
    deep: MISSING,
    done: MISSING,
    lease: () => Promise.resolve('no-such-lease'),
    staleLease: () => Promise.resolve('no-such-lease'),
  });

  function withQuery(path: string, extra: string): string {
    return `${path}${path.includes('?') ? '&' : '?'}${extra}`;
  }

  function operations(): Array<{ method: string; template: string; id: string; statuses: string[] }> {
    const out = [];
    for (const [template, item] of Object.entries(
      checker.doc.paths as Record<string, Record<string, unknown>>,
    )) {
      for (const [method, op] of Object.entries(item)) {
        const o = op as { operationId: string; responses: Record<string, unknown> };
        out.push({
          method: method.toUpperCase(),
          template,
          id: o.operationId,
          statuses: Object.keys(o.responses).filter((s) => s !== 'default'),
        });
      }
    }
    return out;
  }

  it('documents every row of the route table whose operation exists, each with a test case', () => {
    const ops = operations();
    const ids = ops.map((o) => o.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(CASES[id], `test case for ${id}`).toBeDefined();
    for (const row of REST_ROUTES) {
      // Rows whose tool this build lacks (search, coordination) are left out of router and document.
      if (row.operation !== 'board_stats' && !allTools.some((t) => t.name === row.operation)) continue;
      expect(ids, `${row.method} ${row.path}`).toContain(row.operation);
    }
    for (const op of ops) {
      expect(
        op.statuses.some((s) => SUCCESS.has(s)),
        op.id,
      ).toBe(true);
      for (const name of op.template.matchAll(/\{([a-z_]+)\}/g)) {
        const params = (
          checker.doc.paths as Record<
            string,
            Record<string, { parameters?: Array<{ name: string; in: string }> }>
          >
        )[op.template]![op.method.toLowerCase()]!.parameters!;
        expect(
          params.some((p) => p.name === name[1] && p.in === 'path'),
          `${op.id} declares ${name[1]}`,
        ).toBe(true);
      }
    }
  });

  it('validates for real: an answer unlike the document is refused', async () => {
    const f = await fixture();
    await expect(checker.call({ path: `${v1}/tasks/${f.task}`, token: ADMIN })).resolves.toBeDefined();
    const strict = new OpenApiChecker(
      JSON.parse(JSON.stringify(checker.doc).replaceAll('"Task id"', '"Task id","maximum":0')) as Record<
        string,
        unknown
      >,
      server.url,
    );
    await expect(strict.call({ path: `${v1}/tasks/${f.task}`, token: ADMIN })).rejects.toThrow(
      /does not match the OpenAPI document/,
    );
  });

  it('answers every route with its documented success and schema', async () => {
    for (const op of operations()) {
      const req = await CASES[op.id]!.ok(await fixture());
      const answer = await checker.call({ ...req, token: ADMIN });
      expect(SUCCESS.has(String(answer.status)), `${op.id}: ${JSON.stringify(answer.body)}`).toBe(true);
      if (answer.status === 201 && op.id !== 'add_link') {
        const location = answer.headers.get('location')!;
        expect(location).toMatch(/^\/api\/v1\/(tasks|comments)\/\d+$/);
        expect((await checker.call({ path: location, token: ADMIN })).status).toBe(200);
      }
    }
  }, 120_000);

  it('produces every documented error status, each answer a documented error envelope', async () => {
    for (const op of operations()) {
      const c = CASES[op.id]!;
      const f = await fixture();
      const base = await c.ok(f);
      const expectError = async (req: ApiRequest, status: number) => {
        const answer = await checker.call(req);
        expect(answer.status, `${op.id} ${JSON.stringify(answer.body)}`).toBe(status);
        const { code } = (answer.body as { error: { code: keyof typeof HTTP_STATUS } }).error;
        expect(HTTP_STATUS[code] === status || [413, 415].includes(status), `${op.id}: ${code}`).toBe(true);
        return code;
      };
      for (const status of op.statuses.filter((s) => !SUCCESS.has(s)).map(Number)) {
        switch (status) {
          case 400:
            if (base.body !== undefined || base.method === 'POST') {
              await expectError({ ...base, token: ADMIN, body: { ...(base.body as object), bogus: 1 } }, 400);
            } else await expectError({ ...base, token: ADMIN, path: withQuery(base.path, 'bogus=1') }, 400);
            break;
          case 401:
            expect(await expectError(base, 401)).toBe('UNAUTHORIZED');
            expect(await expectError({ ...base, token: 'wrong-token' }, 401)).toBe('UNAUTHORIZED');
            break;
          case 403:
            expect(
              await expectError({ ...base, token: ADMIN, headers: { origin: 'http://evil.example' } }, 403),
            ).toBe('FORBIDDEN');
            break;
          case 404:
            expect(
              await expectError({ ...(await (c.missing ?? c.ok)(missingFixture())), token: ADMIN }, 404),
            ).toBe('NOT_FOUND');
            break;
          case 409:
            if (c.conflict) await expectError({ ...(await c.conflict(f)), token: ADMIN }, 409);
            else {
              const key = { 'idempotency-key': `conflict-${op.id}` };
              const first = await checker.call({ ...base, token: ADMIN, headers: key });
              expect(SUCCESS.has(String(first.status)), `${op.id}: ${JSON.stringify(first.body)}`).toBe(true);
              const other = await (c.vary ?? c.ok)(await fixture());
              expect(await expectError({ ...other, token: ADMIN, headers: key }, 409)).toBe(
                'IDEMPOTENCY_CONFLICT',
              );
            }
            break;
          case 413:
            await expectError(
              {
                ...base,
                token: ADMIN,
                body: undefined,
                rawBody: `{"pad":"${'x'.repeat(2000)}"}`,
                headers: { 'content-type': 'application/json' },
              },
              413,
            );
            break;
          case 415:
            await expectError(
              {
                ...base,
                token: ADMIN,
                body: undefined,
                rawBody: '{}',
                headers: { 'content-type': 'text/plain' },
              },
              415,
            );
            break;
          case 501: {
            const other = new OpenApiChecker(checker.doc, noHistory.url);
            const t = await noHistory.board.createTask({ title: 'x', created_by: 'alice' });
            const answer = await other.call({ path: `${v1}/tasks/${t.id}/history`, token: ADMIN });
            expect(answer.status).toBe(501);
            expect((answer.body as { error: { code: string } }).error.code).toBe('FEATURE_DISABLED');
            for (const s of other.seen) checker.seen.add(s);
            break;
          }
          default:
            throw new Error(`${op.id}: no way to produce documented status ${status}`);
        }
      }
    }
    // The successes were produced by the previous test, on the same checker.
    expect(checker.documented().filter((key) => !checker.seen.has(key))).toEqual([]);
  }, 180_000);

  it('acts as the agent of the token: identity arguments default to it, another agent is FORBIDDEN', async () => {
    const created = await checker.call({
      method: 'POST',
      path: `${v1}/tasks`,
      token: ALICE,
      body: { title: 'Mine' },
    });
    expect(created.status).toBe(201);
    expect((created.body as { created_by: string }).created_by).toBe('alice');
    const refused = await checker.call({
      method: 'POST',
      path: `${v1}/tasks`,
      token: ALICE,
      body: { title: 'Theirs', created_by: 'bob' },
    });
    expect(refused.status).toBe(403);
    expect((refused.body as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringMatching(/belongs to agent "alice"/),
    });
    const queue = await checker.call({ path: `${v1}/agents/bob/queue`, token: ALICE });
    expect(queue.status).toBe(403);
    const comment = await checker.call({
      method: 'POST',
      path: `${v1}/tasks/${(created.body as { id: number }).id}/comments`,
      token: BOB,
      body: { content: 'Looks good' },
    });
    expect((comment.body as { created_by: string }).created_by).toBe('bob');
  });

  it('applies ownership: an agent changes only its own tasks, an operator any', async () => {
    const bobs = await checker.call({
      method: 'POST',
      path: `${v1}/tasks`,
      token: BOB,
      body: { title: 'Bob’s' },
    });
    const id = (bobs.body as { id: number }).id;
    const byAlice = await checker.call({
      method: 'PATCH',
      path: `${v1}/tasks/${id}`,
      token: ALICE,
      body: { priority: 9 },
    });
    expect(byAlice.status).toBe(403);
    expect((byAlice.body as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringContaining('bob'),
    });
    expect((await checker.call({ method: 'DELETE', path: `${v1}/tasks/${id}`, token: ALICE })).status).toBe(
      403,
    );
    const byOps = await checker.call({
      method: 'PATCH',
      path: `${v1}/tasks/${id}`,
      token: OPS,
      body: { priority: 9 },
    });
    expect(byOps.status).toBe(200);
    expect(byOps.body).toMatchObject({ id, priority: 9 });
    // Reading is open to every agent.
    expect((await checker.call({ path: `${v1}/tasks/${id}`, token: ALICE })).status).toBe(200);
  });

  it('replays a write retried with the same Idempotency-Key: one task, the first answer', async () => {
    const req = {
      method: 'POST',
      path: `${v1}/tasks`,
      token: ALICE,
      headers: { 'idempotency-key': 'retry-1' },
      body: { title: 'Exactly once', queue_name: 'idem' },
    };
    const first = await checker.call(req);
    const again = await checker.call(req);
    expect(first.status).toBe(201);
    expect(again.body).toEqual(first.body);
    const listed = await checker.call({ path: `${v1}/queues/idem/tasks`, token: ALICE });
    expect((listed.body as { total: number }).total).toBe(1);
    const both = await checker.call({ ...req, body: { ...req.body, idempotency_key: 'other' } });
    expect(both.status).toBe(400);
    expect((both.body as { error: { message: string } }).error.message).toMatch(
      /Idempotency-Key header and the/,
    );
    const read = await checker.call({
      path: `${v1}/stats`,
      token: ALICE,
      headers: { 'idempotency-key': 'x' },
    });
    expect(read.status).toBe(400);
  });

  it('is the same board and the same operations as the MCP tools', async () => {
    const client = await server.client('rest-check', { authorization: `Bearer ${ADMIN}` });
    const created = await checker.call({
      method: 'POST',
      path: `${v1}/tasks`,
      token: ADMIN,
      body: { title: 'Seen by MCP', created_by: 'alice', priority: '7' },
    });
    const id = (created.body as { id: number }).id;
    const viaMcp = toolJson<{ id: number; priority: number }>(
      await client.callTool({ name: 'get_task', arguments: { id } }),
    );
    expect(viaMcp).toMatchObject({ id, priority: 7 });
    const viaRest = await checker.call({ path: `${v1}/tasks/${id}`, token: ADMIN });
    const viaTool = await client.callTool({ name: 'get_task', arguments: { id } });
    expect(viaRest.body).toEqual(viaTool.structuredContent);
    // Same error, same code and message, on both fronts.
    const restError = await checker.call({ path: `${v1}/tasks/${MISSING}`, token: ADMIN });
    const toolError = await client.callTool({ name: 'get_task', arguments: { id: MISSING } });
    expect(restError.body).toEqual(toolError.structuredContent);
    // REST calls are tool calls in the metrics.
    const metrics = await (
      await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })
    ).text();
    expect(metrics).toMatch(/tinytask_tool_calls_total\{[^}]*tool="board_stats"[^}]*\} [1-9]/);
  });

  it('reads filters from the query string: repeated and comma-separated lists, booleans, numbers', async () => {
    const queue = `filters-${++serial}`;
    const b = server.board;
    const idle = await b.createTask({ title: 'i', created_by: 'a', queue_name: queue });
    const working = await b.createTask({ title: 'w', created_by: 'a', queue_name: queue });
    await b.updateTask({ id: working.id, status: 'working' });
    const done = await b.createTask({ title: 'c', created_by: 'a', queue_name: queue });
    await b.updateTask({ id: done.id, status: 'complete' });
    await b.archiveTask({ id: done.id });
    const ids = async (query: string) =>
      (
        (await checker.call({ path: `${v1}/queues/${queue}/tasks?${query}`, token: ADMIN })).body as {
          tasks: Array<{ id: number }>;
        }
      ).tasks
        .map((t) => t.id)
        .sort((x, y) => x - y);
    expect(await ids('status=idle&status=working')).toEqual([idle.id, working.id]);
    expect(await ids('status=idle,complete&include_archived=true')).toEqual([idle.id, done.id]);
    expect(await ids('exclude_status=idle')).toEqual([working.id]);
    expect(await ids('limit=1&offset=1')).toHaveLength(1);
    const bad = await checker.call({
      path: `${v1}/queues/${queue}/tasks?include_archived=maybe`,
      token: ADMIN,
    });
    expect((bad.body as { error: { message: string } }).error.message).toMatch(
      /include_archived must be true or false/,
    );
    const twice = await checker.call({ path: `${v1}/tasks?limit=1&limit=2`, token: ADMIN });
    expect((twice.body as { error: { message: string } }).error.message).toMatch(
      /limit was given more than once/,
    );
  });

  it('refuses a path argument repeated differently in the body, and arguments in the query of a POST', async () => {
    const f = await fixture();
    const clash = await checker.call({
      method: 'POST',
      path: `${v1}/tasks/${f.task}/comments`,
      token: ADMIN,
      body: { task_id: f.other, content: 'x' },
    });
    expect(clash.status).toBe(400);
    expect((clash.body as { error: { message: string } }).error.message).toMatch(
      /task_id is given by the path/,
    );
    const query = await checker.call({
      method: 'POST',
      path: `${v1}/tasks/${f.task}/archive?x=1`,
      token: ADMIN,
    });
    expect(query.status).toBe(400);
    const notObject = await checker.call({
      method: 'POST',
      path: `${v1}/tasks`,
      token: ADMIN,
      rawBody: '[1]',
      headers: { 'content-type': 'application/json' },
    });
    expect(notObject.status).toBe(400);
    const notJson = await checker.call({
      method: 'POST',
      path: `${v1}/tasks`,
      token: ADMIN,
      rawBody: '{',
      headers: { 'content-type': 'application/json' },
    });
    expect((notJson.body as { error: { message: string } }).error.message).toMatch(/not valid JSON/);
  });

  it('answers unknown paths 404 and wrong methods 405 with Allow, in the same error envelope', async () => {
    const headers = { authorization: `Bearer ${ADMIN}` };
    const unknown = await raw(server.url, { path: `${v1}/nothing/here`, headers });
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toEqual({
      error: { code: 'NOT_FOUND', message: `Not Found: ${v1}/nothing/here` },
    });
    const wrong = await raw(server.url, { method: 'PUT', path: `${v1}/tasks`, headers });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('GET, POST, OPTIONS');
    expect(JSON.parse(wrong.body).error.code).toBe('INVALID_ARGUMENT');
    const options = await raw(server.url, { method: 'OPTIONS', path: `${v1}/tasks/1`, headers });
    expect(options.status).toBe(204);
    expect(options.headers.allow).toBe('GET, PATCH, DELETE, OPTIONS');
    const openapi = await raw(server.url, { path: `${v1}/openapi.json` });
    expect(openapi.status).toBe(401);
    expect(JSON.parse(openapi.body).error.code).toBe('UNAUTHORIZED');
    // Route labels are templates, so task ids do not multiply the metric series.
    const metrics = await (await fetch(`${server.url}/metrics`, { headers })).text();
    expect(metrics).toContain('route="/api/v1/tasks/{id}"');
    expect(metrics).not.toMatch(/route="\/api\/v1\/tasks\/\d+"/);
  });

  it('docs/rest-api.md shows the HTTP status of every error code, as the server maps them', () => {
    const page = readFileSync(new URL('../docs/rest-api.md', import.meta.url), 'utf8');
    const rows = [...page.matchAll(/^\|\s*`([A-Z_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map((m) => [
      m[1],
      Number(m[2]),
    ]);
    expect(rows).toEqual(
      Object.keys(ERROR_CODES).map((code) => [code, HTTP_STATUS[code as keyof typeof HTTP_STATUS]]),
    );
  });
});
