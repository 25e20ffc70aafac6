// Entry point of the board inside a chat client (MCP Apps): the host renders the ui:// resource in a sandboxed
// iframe; ext-apps' `App` (inlined as `McpApps`) talks to it over postMessage, and every read is one of the
// server's own tools called through the host. Read-only: operator actions belong to the browser board.
// The host forwards no server notifications to an app, so the board reloads when the host hands it a tool result,
// when the user presses refresh, and every REFRESH_MS while the frame is visible.
(function () {
  'use strict';

  var REFRESH_MS = 15000;
  var LIST_LIMIT = window.TinyTaskSources.LIST_LIMIT;

  function structured(result) {
    if (!result || result.isError) {
      var e = result && result.structuredContent && result.structuredContent.error;
      throw new Error(e ? e.code + ': ' + e.message : 'the tool call failed');
    }
    if (result.structuredContent) return result.structuredContent;
    var text = (result.content || []).find(function (c) {
      return c.type === 'text';
    });
    return text ? JSON.parse(text.text) : null;
  }

  function appSource(app) {
    var handlers = null;
    var hasHistory = true;

    function call(name, args) {
      return app.callServerTool({ name: name, arguments: args }).then(structured);
    }

    app.ontoolresult = function () {
      if (handlers) handlers.change({ tasks: [], reload: true });
    };

    return {
      kind: 'mcp-app',
      hasToken: function () {
        return false;
      },
      setToken: function () {},
      listTasks: function (filters) {
        var sources = window.TinyTaskSources;
        return Promise.all(
          sources.STATUSES.map(function (status) {
            var args = { status: status, limit: LIST_LIMIT };
            if (filters.agent) args.assigned_to = filters.agent;
            if (filters.queue) args.queue_name = filters.queue;
            if (filters.text) args.include_description = true;
            return call('list_tasks', args).then(sources.normalizePage);
          }),
        ).then(sources.mergePages);
      },
      getTask: function (id) {
        return call('get_task', { id: id }).catch(function () {
          return null;
        });
      },
      getHistory: function (id) {
        if (!hasHistory) return Promise.resolve(null);
        return call('get_task_history', { task_id: id }).then(
          function (body) {
            return (body && body.history) || [];
          },
          function () {
            hasHistory = false;
            return null;
          },
        );
      },
      listQueues: function () {
        return call('list_queues', {}).then(function (body) {
          return ((body && body.queues) || []).map(function (q) {
            return q.queue_name;
          });
        });
      },
      act: function () {
        return Promise.reject(new Error('The board inside a chat client is read-only.'));
      },
      subscribe: function (h) {
        handlers = h;
        h.status('connecting');
        var timer = null;
        app.connect().then(
          function () {
            h.status('live');
            h.hello({ type: 'hello', agent: null, role: null, operator: false, history: true });
            timer = setInterval(function () {
              if (document.visibilityState === 'visible') h.change({ tasks: [], reload: true });
            }, REFRESH_MS);
          },
          function (err) {
            h.status('offline');
            h.refused(err);
          },
        );
        return function stop() {
          clearInterval(timer);
        };
      },
    };
  }

  var app = new window.McpApps.App({ name: 'TinyTask board', version: '1.0.0' });
  var root = document.getElementById('board-root');
  window.tinytaskBoard = window.TinyTaskBoard.start(root, appSource(app));
})();
