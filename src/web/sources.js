// Where the board's data comes from. Two sources with one interface, so the same page runs in a browser tab (REST
// API + WebSocket) and inside a chat client as an MCP App (the server's tools, called through the host):
//
//   hello()                  -> { agent, role, operator, history }
//   listTasks(filters)       -> { tasks, total }   filters by agent and queue (the page applies tag and text)
//   getTask(id)              -> task detail or null (comments, links, lease, attempts)
//   getHistory(id)           -> history entries, or null when the server keeps none
//   listQueues()             -> queue names
//   act(action, id, args)    -> performs an operator action: requeue (also used to release), reassign
//   subscribe(handlers)      -> live updates: handlers.change({tasks, reload}), .stats(summary), .status(state)
//
// Plain script (no modules, no build step): it defines `window.TinyTaskSources`.
(function () {
  'use strict';

  var TOKEN_KEY = 'tinytask.board.token';
  var BOARD_PROTOCOL = 'tinytask.board.v1';
  var BEARER_PREFIX = 'tinytask.bearer.';
  /** Most tasks the board shows per view; the header says when there are more. */
  var LIST_LIMIT = 500;
  var STATUSES = ['idle', 'working', 'complete'];

  function AuthError(message) {
    this.name = 'AuthError';
    this.message = message;
  }
  AuthError.prototype = Object.create(Error.prototype);

  function base64url(text) {
    var bytes = new TextEncoder().encode(text);
    var bin = '';
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function errorMessage(body, status) {
    if (body && typeof body === 'object') {
      var e = body.error;
      if (e && typeof e === 'object' && e.message) return (e.code ? e.code + ': ' : '') + e.message;
      if (typeof e === 'string') return e;
    }
    return 'HTTP ' + status;
  }

  /** The browser source: the REST API under /api/v1 with the bearer token, live updates from /board/ws. */
  function restSource(opts) {
    var base = (opts && opts.base) || '';
    var storage = window.sessionStorage;
    var helloInfo = null;

    function token() {
      return storage.getItem(TOKEN_KEY) || '';
    }

    function request(method, path, body) {
      var headers = { Accept: 'application/json' };
      var t = token();
      if (t) headers.Authorization = 'Bearer ' + t;
      var init = { method: method, headers: headers, credentials: 'omit' };
      if (body !== undefined) {
        headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(body);
      }
      return fetch(base + path, init).then(function (res) {
        return res.text().then(function (text) {
          var parsed = null;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch (e) {
            parsed = null;
          }
          if (res.status === 401) throw new AuthError(errorMessage(parsed, 401));
          if (res.status === 404 && method === 'GET') return null;
          if (!res.ok) throw new Error(errorMessage(parsed, res.status));
          return parsed;
        });
      });
    }

    function query(params) {
      var parts = [];
      Object.keys(params).forEach(function (k) {
        var v = params[k];
        if (v !== undefined && v !== null && v !== '')
          parts.push(encodeURIComponent(k) + '=' + encodeURIComponent(v));
      });
      return parts.length ? '?' + parts.join('&') : '';
    }

    return {
      kind: 'rest',
      hasToken: function () {
        return token() !== '';
      },
      setToken: function (t) {
        if (t) storage.setItem(TOKEN_KEY, t);
        else storage.removeItem(TOKEN_KEY);
      },
      hello: function () {
        return Promise.resolve(helloInfo);
      },
      // One request per status, so a pile of completed tasks cannot crowd the open ones out. Agent and queue are
      // filtered by the server; tag and text by the page (list_tasks has no such filters).
      listTasks: function (filters) {
        return Promise.all(
          STATUSES.map(function (status) {
            return request(
              'GET',
              '/api/v1/tasks' +
                query({
                  status: status,
                  assigned_to: filters.agent,
                  queue_name: filters.queue,
                  include_description: filters.text ? 'true' : '',
                  limit: LIST_LIMIT,
                }),
            ).then(normalizePage);
          }),
        ).then(mergePages);
      },
      getTask: function (id) {
        return request('GET', '/api/v1/tasks/' + encodeURIComponent(id));
      },
      getHistory: function (id) {
        if (helloInfo && helloInfo.history === false) return Promise.resolve(null);
        return request('GET', '/api/v1/tasks/' + encodeURIComponent(id) + '/history').then(
          function (body) {
            return body ? body.history || [] : null;
          },
          function () {
            return null;
          },
        );
      },
      listQueues: function () {
        return request('GET', '/api/v1/queues').then(function (body) {
          return ((body && body.queues) || []).map(function (q) {
            return q.queue_name;
          });
        });
      },
      // reassign: PATCH /api/v1/tasks/{id} (update_task); requeue: POST /api/v1/tasks/{id}/requeue (requeue_task).
      act: function (action, id, args) {
        var path = '/api/v1/tasks/' + encodeURIComponent(id);
        if (action === 'reassign') return request('PATCH', path, { assigned_to: args.assigned_to || null });
        if (action === 'requeue') return request('POST', path + '/requeue', args || {});
        return Promise.reject(new Error('unknown action ' + action));
      },
      subscribe: function (handlers) {
        var ws = null;
        var stopped = false;
        var attempt = 0;
        var timer = null;

        function connect() {
          if (stopped) return;
          handlers.status('connecting');
          var protocols = [BOARD_PROTOCOL];
          if (token()) protocols.push(BEARER_PREFIX + base64url(token()));
          var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/board/ws';
          var opened = false;
          try {
            ws = new WebSocket(url, protocols);
          } catch (e) {
            schedule();
            return;
          }
          ws.onmessage = function (event) {
            var msg;
            try {
              msg = JSON.parse(event.data);
            } catch (e) {
              return;
            }
            if (msg.type === 'hello') {
              opened = true;
              attempt = 0;
              helloInfo = msg;
              handlers.status('live');
              handlers.hello(msg);
            } else if (msg.type === 'change') handlers.change(msg);
            else if (msg.type === 'stats') handlers.stats(msg.stats);
          };
          ws.onclose = function () {
            ws = null;
            if (stopped) return;
            // A refused upgrade (bad token) closes before hello: the page rechecks the token over HTTP.
            if (!opened) handlers.refused();
            schedule();
          };
        }

        function schedule() {
          handlers.status('reconnecting');
          attempt += 1;
          // Exponential back-off with jitter, capped at 15 s; every reconnect reloads the view (events may be lost).
          var delay = Math.min(15000, 500 * Math.pow(2, Math.min(attempt, 5))) * (0.75 + Math.random() * 0.5);
          clearTimeout(timer);
          timer = setTimeout(function () {
            connect();
          }, delay);
        }

        connect();
        return function stop() {
          stopped = true;
          clearTimeout(timer);
          if (ws) ws.close(1000, 'page closed');
        };
      },
    };
  }

  function normalizePage(body) {
    var tasks = (body && body.tasks) || [];
    return { tasks: tasks, total: body && typeof body.total === 'number' ? body.total : tasks.length };
  }

  function mergePages(pages) {
    return pages.reduce(
      function (all, p) {
        return { tasks: all.tasks.concat(p.tasks), total: all.total + p.total };
      },
      { tasks: [], total: 0 },
    );
  }

  window.TinyTaskSources = {
    rest: restSource,
    AuthError: AuthError,
    normalizePage: normalizePage,
    mergePages: mergePages,
    STATUSES: STATUSES,
    LIST_LIMIT: LIST_LIMIT,
  };
})();
