// The live board's user interface: columns by status, filters, task detail, stuck-work highlighting, throughput
// and latency, operator actions. It renders whatever a source (sources.js) gives it and knows nothing about HTTP.
// Plain script (no modules, no build step): it defines `window.TinyTaskBoard.start(root, source)`.
(function () {
  'use strict';

  var STATUSES = ['idle', 'working', 'complete'];
  var STATUS_TITLES = { idle: 'Idle', working: 'Working', complete: 'Complete' };
  /** A lease this close to its end counts as near expiry. */
  var NEAR_EXPIRY_MS = 2 * 60 * 1000;
  /** Up to this many changed tasks are fetched one by one; more reload the view. */
  var MAX_INCREMENTAL = 25;

  // ---- small DOM helpers (text only: nothing from the server is ever parsed as HTML) ----
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === undefined || v === null || v === false) return;
        if (k === 'text') node.textContent = v;
        else if (k === 'class') node.className = v;
        else if (k.slice(0, 2) === 'on') node.addEventListener(k.slice(2), v);
        else node.setAttribute(k, v === true ? '' : v);
      });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function relTime(iso, now) {
    if (!iso) return '';
    var ms = Date.parse(iso) - now;
    var abs = Math.abs(ms);
    var text =
      abs < 60000
        ? Math.round(abs / 1000) + 's'
        : abs < 3600000
          ? Math.round(abs / 60000) + 'm'
          : abs < 86400000
            ? Math.round(abs / 3600000) + 'h'
            : Math.round(abs / 86400000) + 'd';
    return ms >= 0 ? 'in ' + text : text + ' ago';
  }

  function blockersOf(task) {
    if (Array.isArray(task.blocked_by_task_ids)) return task.blocked_by_task_ids;
    return task.blocked_by_task_id ? [task.blocked_by_task_id] : [];
  }

  /**
   * What is stuck about a task: an expired lease (working past lease_expires_at), a lease about to expire, a dead
   * letter, a blocker that is not complete (and how long the chain of open blockers is).
   */
  function stuckState(task, byId, now) {
    var s = { expired: false, expiring: false, dead: false, blocked: false, chain: 0 };
    if (task.dead_lettered_at) s.dead = true;
    if (task.status === 'working' && task.lease_expires_at) {
      var left = Date.parse(task.lease_expires_at) - now;
      if (left <= 0) s.expired = true;
      else if (left <= NEAR_EXPIRY_MS) s.expiring = true;
    }
    if (task.status !== 'complete') {
      var depth = 0;
      var seen = {};
      var frontier = [task];
      while (frontier.length && depth < 50) {
        var next = [];
        frontier.forEach(function (t) {
          blockersOf(t).forEach(function (id) {
            if (seen[id]) return;
            seen[id] = true;
            var b = byId[id];
            // A blocker not on the board view (another filter, archived) is judged by the task's own flag.
            if (!b) {
              if (t === task && task.is_currently_blocked !== false) next.push({ id: id });
            } else if (b.status !== 'complete') next.push(b);
          });
        });
        if (!next.length) break;
        depth += 1;
        frontier = next.filter(function (t) {
          return t.status !== undefined;
        });
      }
      s.chain = depth;
      s.blocked = depth > 0;
    }
    s.any = s.expired || s.expiring || s.dead || s.blocked;
    return s;
  }

  function matches(task, filters) {
    if (task.archived_at) return false;
    if (filters.agent && task.assigned_to !== filters.agent) return false;
    if (filters.queue && task.queue_name !== filters.queue) return false;
    if (filters.tag && (task.tags || []).indexOf(filters.tag) === -1) return false;
    if (filters.text) {
      var hay = ((task.title || '') + ' ' + (task.description || '')).toLowerCase();
      var words = filters.text.toLowerCase().split(/\s+/).filter(Boolean);
      for (var i = 0; i < words.length; i++) if (hay.indexOf(words[i]) === -1) return false;
    }
    return true;
  }

  function start(root, source) {
    var state = {
      tasks: {},
      total: 0,
      filters: { agent: '', queue: '', tag: '', text: '' },
      stuckOnly: false,
      selected: null,
      hello: null,
      stats: null,
      connection: 'connecting',
      queues: [],
      mobileStatus: 'working',
      error: '',
    };
    var stopLive = null;
    var loadSeq = 0;

    // ---- layout ----
    var statusDot = el('span', {
      class: 'conn conn-connecting',
      title: 'connecting',
      'data-testid': 'connection',
    });
    var statsBar = el('div', { class: 'stats', 'data-testid': 'stats' });
    var stuckBar = el('div', { class: 'stuck-bar', 'data-testid': 'stuck' });
    var errorBar = el('div', { class: 'error-bar', role: 'alert', hidden: true });
    var agentInput = el('input', {
      type: 'search',
      list: 'agent-list',
      placeholder: 'agent',
      'aria-label': 'Agent',
    });
    var agentList = el('datalist', { id: 'agent-list' });
    var queueSelect = el('select', { 'aria-label': 'Queue' }, [
      el('option', { value: '', text: 'all queues' }),
    ]);
    var tagInput = el('input', { type: 'search', list: 'tag-list', placeholder: 'tag', 'aria-label': 'Tag' });
    var tagList = el('datalist', { id: 'tag-list' });
    var textInput = el('input', {
      type: 'search',
      placeholder: 'search title and description',
      'aria-label': 'Text',
    });
    var stuckToggle = el('label', { class: 'toggle' }, [el('input', { type: 'checkbox' }), ' stuck only']);
    var tabs = el('nav', { class: 'tabs', 'aria-label': 'Status' });
    var columns = el('main', { class: 'columns' });
    var detail = el('aside', {
      class: 'detail',
      hidden: true,
      'aria-label': 'Task detail',
      'data-testid': 'detail',
    });
    var identity = el('span', { class: 'identity' });
    var signOut = el('button', { type: 'button', class: 'link', hidden: true, text: 'forget token' });
    var moreNote = el('div', { class: 'more-note', hidden: true });

    var header = el('header', { class: 'top' }, [
      el('h1', {}, [el('img', { src: '/board/icon.svg', alt: '', width: 20, height: 20 }), ' TinyTask']),
      statusDot,
      statsBar,
      el('span', { class: 'spacer' }),
      identity,
      signOut,
    ]);
    var filterBar = el('div', { class: 'filters', role: 'search' }, [
      agentInput,
      agentList,
      queueSelect,
      tagInput,
      tagList,
      textInput,
      stuckToggle,
    ]);
    clear(root);
    [header, errorBar, filterBar, stuckBar, tabs, moreNote, columns, detail].forEach(function (n) {
      root.appendChild(n);
    });

    var columnNodes = {};
    STATUSES.forEach(function (status) {
      var count = el('span', { class: 'count', text: '0' });
      var list = el('ol', { class: 'cards' });
      var col = el('section', { class: 'column', 'data-status': status, 'data-testid': 'column-' + status }, [
        el('h2', {}, [STATUS_TITLES[status], ' ', count]),
        list,
      ]);
      columns.appendChild(col);
      var tab = el('button', {
        type: 'button',
        class: 'tab',
        'data-status': status,
        text: STATUS_TITLES[status],
        onclick: function () {
          state.mobileStatus = status;
          renderTabs();
        },
      });
      tabs.appendChild(tab);
      columnNodes[status] = { col: col, list: list, count: count, tab: tab };
    });

    // ---- rendering ----
    function showError(message) {
      state.error = message || '';
      errorBar.textContent = state.error;
      errorBar.hidden = !state.error;
    }

    function renderTabs() {
      STATUSES.forEach(function (s) {
        var n = columnNodes[s];
        n.col.classList.toggle('mobile-active', s === state.mobileStatus);
        n.tab.classList.toggle('active', s === state.mobileStatus);
      });
    }

    function badge(text, cls, title) {
      return el('span', { class: 'badge ' + (cls || ''), text: text, title: title });
    }

    function card(task, stuck, now) {
      var badges = [];
      if (stuck.dead)
        badges.push(badge('dead letter', 'bad', 'Dead-lettered ' + relTime(task.dead_lettered_at, now)));
      if (stuck.expired)
        badges.push(badge('lease expired', 'bad', 'Lease ended ' + relTime(task.lease_expires_at, now)));
      else if (stuck.expiring)
        badges.push(badge('lease ' + relTime(task.lease_expires_at, now), 'warn', 'Lease about to expire'));
      if (stuck.blocked)
        badges.push(
          badge(
            stuck.chain > 1 ? 'blocked ×' + stuck.chain : 'blocked',
            'warn',
            'Waiting for ' +
              blockersOf(task)
                .map((id) => '#' + id)
                .join(', '),
          ),
        );
      if (task.attempts > 1) badges.push(badge('attempt ' + task.attempts, 'info'));
      (task.tags || []).slice(0, 4).forEach(function (t) {
        badges.push(badge(t, 'tag'));
      });
      var meta = [];
      if (task.assigned_to) meta.push(el('span', { class: 'who', text: '@' + task.assigned_to }));
      if (task.queue_name) meta.push(el('span', { class: 'queue', text: task.queue_name }));
      if (task.priority) meta.push(el('span', { class: 'prio', text: 'P' + task.priority }));
      meta.push(el('time', { datetime: task.updated_at, text: relTime(task.updated_at, now) }));
      var cls = 'card' + (stuck.any ? ' stuck' : '') + (stuck.expired || stuck.dead ? ' stuck-bad' : '');
      if (state.selected === task.id) cls += ' selected';
      return el(
        'li',
        {
          class: cls,
          tabindex: 0,
          'data-task-id': task.id,
          onclick: function () {
            openDetail(task.id);
          },
          onkeydown: function (e) {
            if (e.key === 'Enter' || e.key === ' ') {
              e.preventDefault();
              openDetail(task.id);
            }
          },
        },
        [
          el('div', { class: 'card-title' }, [
            el('span', { class: 'id', text: '#' + task.id }),
            ' ',
            task.title,
          ]),
          el('div', { class: 'meta' }, meta),
          badges.length ? el('div', { class: 'badges' }, badges) : null,
        ],
      );
    }

    function render() {
      var now = Date.now();
      var all = Object.keys(state.tasks).map(function (k) {
        return state.tasks[k];
      });
      var byId = state.tasks;
      var groups = { idle: [], working: [], complete: [] };
      var counts = { expired: 0, expiring: 0, dead: 0, blocked: 0 };
      var agents = {};
      var tags = {};
      all.forEach(function (t) {
        if (t.assigned_to) agents[t.assigned_to] = true;
        (t.tags || []).forEach(function (g) {
          tags[g] = true;
        });
        var stuck = stuckState(t, byId, now);
        ['expired', 'expiring', 'dead', 'blocked'].forEach(function (k) {
          if (stuck[k]) counts[k] += 1;
        });
        if (state.stuckOnly && !stuck.any) return;
        if (groups[t.status]) groups[t.status].push({ task: t, stuck: stuck });
      });
      STATUSES.forEach(function (s) {
        var items = groups[s];
        items.sort(function (a, b) {
          if (a.stuck.any !== b.stuck.any) return a.stuck.any ? -1 : 1;
          if (s !== 'complete' && (b.task.priority || 0) !== (a.task.priority || 0))
            return (b.task.priority || 0) - (a.task.priority || 0);
          return a.task.updated_at < b.task.updated_at ? 1 : -1;
        });
        var n = columnNodes[s];
        clear(n.list);
        items.forEach(function (i) {
          n.list.appendChild(card(i.task, i.stuck, now));
        });
        if (!items.length) n.list.appendChild(el('li', { class: 'empty', text: 'nothing here' }));
        n.count.textContent = String(items.length);
        n.tab.textContent = STATUS_TITLES[s] + ' ' + items.length;
      });
      fillDatalist(agentList, Object.keys(agents));
      fillDatalist(tagList, Object.keys(tags));
      clear(stuckBar);
      var stuckItems = [
        ['expired', 'expired leases'],
        ['expiring', 'leases expiring'],
        ['dead', 'dead letters'],
        ['blocked', 'blocked'],
      ];
      stuckItems.forEach(function (p) {
        stuckBar.appendChild(
          el('span', { class: 'stuck-item' + (counts[p[0]] ? ' on' : ''), 'data-kind': p[0] }, [
            el('b', { text: String(counts[p[0]]) }),
            ' ' + p[1],
          ]),
        );
      });
      var shown = all.length;
      moreNote.hidden = state.total <= shown;
      moreNote.textContent =
        'Showing ' + shown + ' of ' + state.total + ' tasks: narrow the filters to see the rest.';
    }

    function fillDatalist(list, values) {
      var key = values.sort().join('\u0000');
      if (list.dataset.key === key) return;
      list.dataset.key = key;
      clear(list);
      values.forEach(function (v) {
        list.appendChild(el('option', { value: v }));
      });
    }

    function renderStats() {
      var s = state.stats;
      clear(statsBar);
      if (!s) return;
      var lat = s.latency_ms || {};
      var fmt = function (v) {
        return v === null || v === undefined ? '–' : v < 10 ? v.toFixed(1) : String(Math.round(v));
      };
      var items = [
        [
          'calls/s',
          String(s.tool_calls_per_second),
          'Tool calls per second over the last ' + s.window_seconds + ' s',
        ],
        ['writes/s', String(s.writes_per_second), 'Committed writes per second'],
        ['p50', fmt(lat.p50) + ' ms', 'Median tool-call latency'],
        ['p95', fmt(lat.p95) + ' ms', '95th percentile tool-call latency'],
      ];
      if (s.tasks)
        items.push(['done today', String(s.tasks.completed_today), 'Tasks completed since midnight UTC']);
      items.forEach(function (i) {
        statsBar.appendChild(
          el('span', { class: 'stat', title: i[2] }, [el('b', { text: i[1] }), ' ' + i[0]]),
        );
      });
    }

    function renderConnection() {
      statusDot.className = 'conn conn-' + state.connection;
      statusDot.title = state.connection;
      statusDot.textContent = state.connection === 'live' ? 'live' : state.connection;
    }

    function renderIdentity() {
      var h = state.hello;
      identity.textContent = h
        ? (h.agent ? h.agent : 'signed in') + (h.operator ? ' · operator' : ' · read-only')
        : '';
      signOut.hidden = !(source.hasToken && source.hasToken());
    }

    // ---- detail ----
    function section(title, body) {
      return el('section', {}, [el('h3', { text: title }), body]);
    }

    /** A titled list (comments, links) with its count, or a line saying there is none. */
    function listSection(title, items, tag, attrs, emptyText, item) {
      return section(
        title + ' (' + items.length + ')',
        items.length ? el(tag, attrs, items.map(item)) : el('p', { class: 'muted', text: emptyText }),
      );
    }

    function field(label, value) {
      if (value === null || value === undefined || value === '') return null;
      return el('div', { class: 'field' }, [el('dt', { text: label }), el('dd', { text: String(value) })]);
    }

    function actionButtons(task) {
      if (!state.hello || !state.hello.operator) return null;
      var buttons = [];
      var run = function (action, args) {
        showError('');
        source.act(action, task.id, args).then(
          function () {
            return refreshTask(task.id);
          },
          function (err) {
            showError(err.message);
          },
        );
      };
      // Both go through requeue_task (POST /api/v1/tasks/{id}/requeue): the task returns to idle and to the ready
      // list, its lease cleared. Release keeps the attempts counted; Requeue also resets them (a dead letter's fresh
      // start).
      var button = function (text, title, action, args) {
        return el('button', {
          type: 'button',
          text: text,
          title: title,
          onclick: function () {
            run(action, args);
          },
        });
      };
      if (task.status === 'working')
        buttons.push(
          button('Release', 'End the claim: the task returns to idle, attempts kept', 'requeue', {
            reset_attempts: false,
          }),
        );
      if (task.dead_lettered_at || task.status === 'idle')
        buttons.push(
          button('Requeue', 'Back to the ready list with attempts reset', 'requeue', {
            reset_attempts: true,
          }),
        );
      var who = el('input', { type: 'text', placeholder: 'agent name', 'aria-label': 'Reassign to' });
      buttons.push(
        el(
          'form',
          {
            class: 'reassign',
            onsubmit: function (e) {
              e.preventDefault();
              run('reassign', { assigned_to: who.value.trim() || null });
            },
          },
          [who, el('button', { type: 'submit', text: 'Reassign' })],
        ),
      );
      return el('div', { class: 'actions' }, buttons);
    }

    function renderDetail(task, history) {
      clear(detail);
      detail.hidden = false;
      root.classList.add('has-detail');
      var now = Date.now();
      var stuck = stuckState(task, state.tasks, now);
      var close = el('button', {
        type: 'button',
        class: 'close',
        'aria-label': 'Close',
        text: '×',
        onclick: closeDetail,
      });
      detail.appendChild(
        el('header', {}, [
          el('h2', {}, [el('span', { class: 'id', text: '#' + task.id }), ' ', task.title]),
          close,
        ]),
      );
      var warn = [];
      if (stuck.dead)
        warn.push(
          'Dead-lettered ' + relTime(task.dead_lettered_at, now) + ': it will not be claimed until requeued.',
        );
      if (stuck.expired) warn.push('Lease expired ' + relTime(task.lease_expires_at, now) + '.');
      else if (stuck.expiring) warn.push('Lease expires ' + relTime(task.lease_expires_at, now) + '.');
      if (task.is_currently_blocked || stuck.blocked)
        warn.push(
          'Blocked by ' +
            blockersOf(task)
              .map((id) => '#' + id)
              .join(', ') +
            '.',
        );
      if (warn.length) detail.appendChild(el('div', { class: 'warn-box' }, [warn.join(' ')]));
      detail.appendChild(
        el('dl', { class: 'fields' }, [
          field('Status', task.status),
          field('Assigned to', task.assigned_to),
          field('Previously', task.previous_assigned_to),
          field('Queue', task.queue_name),
          field('Priority', task.priority),
          field('Tags', (task.tags || []).join(', ')),
          field('Created by', task.created_by),
          field('Created', task.created_at && new Date(task.created_at).toLocaleString()),
          field('Updated', task.updated_at && new Date(task.updated_at).toLocaleString()),
          field('Parent', task.parent_task_id && '#' + task.parent_task_id),
          field('Subtasks', task.subtask_count),
        ]),
      );
      var lease = el('dl', { class: 'fields' }, [
        field(
          'Lease expires',
          task.lease_expires_at
            ? relTime(task.lease_expires_at, now) + ' (' + task.lease_expires_at + ')'
            : 'no lease',
        ),
        field('Attempts', task.attempts === undefined ? undefined : task.attempts),
        field('Leases expired', task.lease_expiries),
        field('Dead-lettered', task.dead_lettered_at),
      ]);
      detail.appendChild(section('Lease and attempts', lease));
      var actions = actionButtons(task);
      if (actions) detail.appendChild(section('Operator actions', actions));
      if (task.description)
        detail.appendChild(section('Description', el('p', { class: 'desc', text: task.description })));
      var comments = task.comments || [];
      detail.appendChild(
        listSection(
          'Comments',
          comments,
          'ol',
          { class: 'comments', 'data-testid': 'comments' },
          'No comments.',
          function (c) {
            return el('li', {}, [
              el('div', { class: 'meta' }, [
                el('span', { class: 'who', text: c.created_by ? '@' + c.created_by : 'system' }),
                el('time', { datetime: c.created_at, text: relTime(c.created_at, now) }),
              ]),
              el('p', { text: c.content }),
            ]);
          },
        ),
      );
      detail.appendChild(
        listSection('Links', task.links || [], 'ul', { class: 'links' }, 'No links.', function (l) {
          var safe = /^https?:\/\//i.test(l.url);
          return el('li', {}, [
            safe
              ? el('a', { href: l.url, target: '_blank', rel: 'noopener noreferrer', text: l.url })
              : el('code', { text: l.url }),
            l.description ? ' — ' + l.description : '',
          ]);
        }),
      );
      if (history === null) {
        detail.appendChild(
          section(
            'History',
            el('p', { class: 'muted', text: 'This server keeps no history (TINYTASK_ENABLE_HISTORY).' }),
          ),
        );
      } else {
        detail.appendChild(
          section(
            'History (' + history.length + ')',
            el(
              'ol',
              { class: 'history' },
              history.map(function (h) {
                return el('li', {}, [
                  el('time', { datetime: h.changed_at, text: new Date(h.changed_at).toLocaleString() }),
                  ' ',
                  el('b', { text: h.field_name }),
                  ': ',
                  String(h.old_value === null ? '∅' : h.old_value),
                  ' → ',
                  String(h.new_value === null ? '∅' : h.new_value),
                  h.changed_by ? ' by @' + h.changed_by : '',
                ]);
              }),
            ),
          ),
        );
      }
    }

    function openDetail(id) {
      state.selected = id;
      render();
      return loadDetail(id);
    }

    function loadDetail(id) {
      return Promise.all([source.getTask(id), source.getHistory(id)]).then(function (r) {
        if (state.selected !== id) return;
        if (!r[0]) {
          closeDetail();
          return;
        }
        renderDetail(r[0], r[1]);
      }, handleError);
    }

    function closeDetail() {
      state.selected = null;
      detail.hidden = true;
      root.classList.remove('has-detail');
      render();
    }

    // ---- data ----
    function handleError(err) {
      if (err && err.name === 'AuthError') askToken(err.message);
      else showError(err && err.message ? err.message : String(err));
    }

    function reload() {
      var seq = ++loadSeq;
      return source.listTasks(state.filters).then(function (page) {
        if (seq !== loadSeq) return;
        showError('');
        state.tasks = {};
        var kept = page.tasks.filter(function (t) {
          return matches(t, state.filters);
        });
        kept.forEach(function (t) {
          state.tasks[t.id] = t;
        });
        // With tag or text filters the server's total counts tasks the page then left out.
        state.total = state.filters.tag || state.filters.text ? kept.length : page.total;
        render();
      }, handleError);
    }

    function refreshTask(id) {
      return source.getTask(id).then(function (task) {
        if (task && matches(task, state.filters)) state.tasks[task.id] = task;
        else if (state.tasks[id]) delete state.tasks[id];
        if (state.selected === id) {
          if (task) loadDetail(id);
          else closeDetail();
        }
      });
    }

    function onChange(msg) {
      if (msg.reload || msg.tasks.length > MAX_INCREMENTAL) {
        reload();
        if (state.selected !== null) loadDetail(state.selected);
        return;
      }
      Promise.all(msg.tasks.map(refreshTask)).then(render, handleError);
    }

    function loadQueues() {
      source.listQueues().then(
        function (names) {
          var current = queueSelect.value;
          clear(queueSelect);
          queueSelect.appendChild(el('option', { value: '', text: 'all queues' }));
          names.forEach(function (q) {
            queueSelect.appendChild(el('option', { value: q, text: q }));
          });
          queueSelect.value = current;
        },
        function () {},
      );
    }

    // ---- token ----
    var tokenDialog = null;
    function askToken(message) {
      if (stopLive) {
        stopLive();
        stopLive = null;
      }
      state.connection = 'signed out';
      renderConnection();
      if (tokenDialog) return;
      var input = el('input', {
        type: 'password',
        autocomplete: 'off',
        'aria-label': 'Bearer token',
        required: true,
      });
      tokenDialog = el('form', { class: 'token-form', 'data-testid': 'token-form' }, [
        el('h2', { text: 'Sign in' }),
        el('p', {
          text: 'This board needs the server’s bearer token. It is kept in this tab only (session storage).',
        }),
        message ? el('p', { class: 'muted', text: message }) : null,
        input,
        el('button', { type: 'submit', text: 'Open board' }),
      ]);
      tokenDialog.addEventListener('submit', function (e) {
        e.preventDefault();
        source.setToken(input.value.trim());
        root.removeChild(tokenDialog);
        tokenDialog = null;
        begin();
      });
      root.appendChild(tokenDialog);
      input.focus();
    }

    // ---- wiring ----
    var filterTimer = null;
    function onFilter() {
      state.filters = {
        agent: agentInput.value.trim(),
        queue: queueSelect.value,
        tag: tagInput.value.trim(),
        text: textInput.value.trim(),
      };
      clearTimeout(filterTimer);
      filterTimer = setTimeout(reload, 200);
    }
    [agentInput, tagInput, textInput].forEach(function (i) {
      i.addEventListener('input', onFilter);
    });
    queueSelect.addEventListener('change', onFilter);
    stuckToggle.firstChild.addEventListener('change', function (e) {
      state.stuckOnly = e.target.checked;
      render();
    });
    signOut.addEventListener('click', function () {
      source.setToken('');
      state.tasks = {};
      render();
      askToken('');
    });
    document.addEventListener('keydown', function (e) {
      if (e.key === 'Escape' && state.selected !== null) closeDetail();
    });
    // Lease countdowns move with the clock even when nothing is written.
    setInterval(function () {
      if (Object.keys(state.tasks).length) render();
    }, 15000);

    function begin() {
      renderTabs();
      stopLive = source.subscribe({
        status: function (s) {
          state.connection = s;
          renderConnection();
        },
        hello: function (h) {
          state.hello = h;
          renderIdentity();
          // Every (re)connection reloads: changes made while disconnected were not pushed.
          reload();
          loadQueues();
          if (state.selected !== null) loadDetail(state.selected);
        },
        change: onChange,
        stats: function (s) {
          state.stats = s;
          renderStats();
        },
        refused: function () {
          // The socket closed before saying hello: a bad token shows up as 401 here.
          reload();
        },
      });
    }

    renderConnection();
    begin();
    return {
      reload: reload,
      openDetail: openDetail,
      state: state,
    };
  }

  window.TinyTaskBoard = { start: start, stuckState: stuckState, matches: matches };
})();
