import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskBoardError } from '../src/domain/errors.js';
import { rawSession, startTestServer, type TestServer } from './http-harness.js';

/**
 * Text reaches the board unaltered or not at all: bytes that are not UTF-8 are a parse error (-32700), a lone
 * surrogate is INVALID_ARGUMENT naming the field, and ids follow one rule (integers and canonical digit strings).
 */
interface RpcAnswer {
  error: { code: number; message: string };
  result: { isError?: boolean; content: Array<{ text: string }> };
}

describe('text integrity and the id rule', () => {
  let server: TestServer;
  let session: string;
  beforeAll(async () => {
    server = await startTestServer();
    session = await rawSession(server.url);
  });
  afterAll(async () => {
    await server.close();
  });

  let nextId = 100;
  /** POSTs raw bytes as one JSON-RPC message of the session; answers status and parsed body. */
  async function post(body: Buffer | string): Promise<{ status: number; json: RpcAnswer }> {
    const res = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'mcp-session-id': session },
      body,
    });
    return { status: res.status, json: (await res.json()) as RpcAnswer };
  }
  const call = (args: string) =>
    `{"jsonrpc":"2.0","id":${nextId++},"method":"tools/call","params":{"name":"create_task","arguments":${args}}}`;

  it('refuses bytes that are not UTF-8 with -32700 and writes nothing', async () => {
    const before = (await server.board.listTasks({})).total;
    const json = Buffer.from(call('{"title":"bad XX bytes","created_by":"a"}'));
    const at = json.indexOf('XX');
    json[at] = 0xff;
    json[at + 1] = 0xfe;
    const res = await post(json);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe(-32700);
    expect(res.json.error.message).toMatch(/not valid UTF-8/);
    // A truncated multi-byte sequence too.
    const cut = Buffer.concat([Buffer.from(call('{"title":"cut ').slice(0, -1)), Buffer.from([0xe2, 0x82])]);
    expect((await post(Buffer.concat([cut, Buffer.from('","created_by":"a"}}}')]))).json.error.code).toBe(
      -32700,
    );
    expect((await server.board.listTasks({})).total).toBe(before);
  });

  it('refuses a lone surrogate with INVALID_ARGUMENT naming the field, and keeps a real pair intact', async () => {
    const lone = await post(call('{"title":"broken \\ud83d here","created_by":"a"}'));
    expect(lone.status).toBe(200);
    expect(lone.json.result.isError).toBe(true);
    const error = JSON.parse(lone.json.result.content[0]!.text).error;
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/title contains a lone surrogate/);

    const inTag = await post(call('{"title":"ok","created_by":"a","tags":["fine","\\udc00x"]}'));
    expect(JSON.parse(inTag.json.result.content[0]!.text).error.message).toMatch(/tags\.1 contains a lone/);

    const pair = await post(call('{"title":"rocket \\ud83d\\ude80","created_by":"a"}'));
    expect(pair.json.result.isError).toBeFalsy();
    const created = JSON.parse(pair.json.result.content[0]!.text) as { id: number };
    expect((await server.board.getTask({ id: created.id })).title).toBe('rocket \u{1F680}');
  });

  it('accepts ids as integers and canonical digit strings only, with the same rule for every tool', async () => {
    const task = await server.board.createTask({ title: 'id rule', created_by: 'a' });
    const id = task.id;
    expect((await server.board.getTask({ id })).id).toBe(id);
    expect((await server.board.getTask({ id: String(id) })).id).toBe(id);
    for (const bad of [
      ` ${id}`,
      `${id} `,
      `+${id}`,
      `0${id}`,
      `${id}.0`,
      `${id}e0`,
      '0x1',
      '',
      '-1',
      0,
      1.5,
    ]) {
      const attempts: Array<[string, Promise<unknown>]> = [
        ['id', server.board.getTask({ id: bad })],
        ['task_id', server.board.addComment({ task_id: bad, content: 'x', created_by: 'a' })],
        ['parent_task_id', server.board.listTasks({ parent_task_id: bad })],
      ];
      for (const [field, attempt] of attempts) {
        const err = await attempt.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, `${field}=${JSON.stringify(bad)}`).toBeInstanceOf(TaskBoardError);
        expect((err as TaskBoardError).code).toBe('INVALID_ARGUMENT');
        expect((err as TaskBoardError).message).toContain(`${field} must be a positive integer id`);
      }
    }
    // Through MCP as well.
    const viaMcp = await post(
      `{"jsonrpc":"2.0","id":${nextId++},"method":"tools/call","params":{"name":"get_task","arguments":{"id":" ${id}"}}}`,
    );
    expect(JSON.parse(viaMcp.json.result.content[0]!.text).error.code).toBe('INVALID_ARGUMENT');
  });
});
