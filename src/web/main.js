// Entry point of the board page in a browser tab: the REST API and the live WebSocket of the server that served it.
(function () {
  'use strict';
  var root = document.getElementById('board-root');
  window.tinytaskBoard = window.TinyTaskBoard.start(root, window.TinyTaskSources.rest());
})();
